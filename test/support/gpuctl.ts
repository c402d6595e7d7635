/** Runs the real bin/gpuctl.mjs in a child process, as a user's shell would: no TTY, its own HOME and config file. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';

export const GPUCTL_BIN = join(import.meta.dirname, '../../bin/gpuctl.mjs');

export interface GpuctlRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `args` with stdin from `input` (closed at once otherwise); `env` over a bare PATH, HOME and GPUCTL_CONFIG. */
export const runGpuctl = (args: string[], where: { home: string; config: string }, input = '', env: Record<string, string> = {}): Promise<GpuctlRun> =>
  new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [GPUCTL_BIN, ...args],
      { env: { PATH: process.env.PATH ?? '', HOME: where.home, GPUCTL_CONFIG: where.config, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') return reject(error);
        resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      },
    );
    child.stdin?.end(input);
  });
