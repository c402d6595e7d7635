/**
 * Everything this process writes (stdout, stderr, every console method), captured from `start()`
 * at the DEBUG log level, for the tests that search the logs for a secret; `stop()` restores the
 * streams, the console and the log level. What is captured is kept, not printed (the DEBUG lines
 * of a whole local cloud would bury the test report); TEST_ECHO_CAPTURED=1 prints it as well.
 */
const ECHO = process.env.TEST_ECHO_CAPTURED === '1';

const safeJson = (value: unknown): string => {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
};

export const captureProcessOutput = () => {
  const captured: string[] = [];
  const restore: (() => void)[] = [];
  return {
    captured,
    start(): void {
      const previousLogLevel = process.env.POWERTOOLS_LOG_LEVEL;
      process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
      restore.push(() => {
        if (previousLogLevel === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
        else process.env.POWERTOOLS_LOG_LEVEL = previousLogLevel;
      });
      for (const stream of [process.stdout, process.stderr]) {
        const original = stream.write.bind(stream);
        stream.write = ((chunk: unknown, ...rest: unknown[]) => {
          captured.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
          if (ECHO) return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
          const callback = rest.find((arg): arg is () => void => typeof arg === 'function');
          callback?.();
          return true;
        }) as typeof stream.write;
        restore.push(() => (stream.write = original as typeof stream.write));
      }
      for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
        const original = console[method];
        console[method] = (...args: unknown[]) => {
          captured.push(args.map((a) => (typeof a === 'string' ? a : safeJson(a))).join(' '));
          if (ECHO) original(...args);
        };
        restore.push(() => (console[method] = original));
      }
    },
    stop(): void {
      for (const undo of restore.reverse()) undo();
      restore.length = 0;
    },
  };
};
