/**
 * gpuctl: the command line of the GPU model deployment API (docs/cli.md). The commands live in
 * cli/commands/, one module per group, registered by cli/program.ts; this entry runs them and maps
 * errors to exit codes.
 *
 * Exit codes: 0 ok; 1 the API refused (4xx, its message is printed); 2 usage (bad flags,
 * unreadable spec, not logged in); 3 the deployment failed while --wait was waiting;
 * 4 the API could not be reached or answered 5xx; 5 --wait gave up (--timeout).
 * `--output json` prints the API's JSON answer unchanged, for scripts.
 */
import { type Command, CommanderError } from 'commander';
import { ApiError, UnavailableError, UsageError } from './client';
import { ConfigError } from './config';
import { buildProgram } from './program';
import { DeploymentFailedError, WaitTimeoutError } from './progress';

// `gpuctl list | head`: a reader that stops early ends the output quietly, not with a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(0);
});

export const EXIT = { ok: 0, api: 1, usage: 2, failed: 3, unavailable: 4, timeout: 5 } as const;

const program = buildProgram();

const exitCodeOf = (error: unknown): number => {
  if (error instanceof ApiError) return EXIT.api;
  if (error instanceof DeploymentFailedError) return EXIT.failed;
  if (error instanceof UnavailableError) return EXIT.unavailable;
  if (error instanceof WaitTimeoutError) return EXIT.timeout;
  return EXIT.usage;
};

export const run = async (argv: readonly string[]): Promise<number> => {
  const override = (command: Command): void => {
    command.exitOverride();
    command.commands.forEach(override);
  };
  override(program);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version are not errors; commander already printed the usage problem.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const message =
      error instanceof ApiError
        ? `${error.message} (${error.code}, HTTP ${error.status})`
        : error instanceof UsageError || error instanceof ConfigError || error instanceof Error
          ? error.message
          : String(error);
    process.stderr.write(`gpuctl: ${message}\n`);
    return exitCodeOf(error);
  }
};

process.exitCode = await run(process.argv.slice(2));
