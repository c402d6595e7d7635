/**
 * gpuctl: the command line of the GPU model deployment API (docs/cli.md). The commands live in
 * cli/commands/, one module per group; this entry registers them and maps errors to exit codes.
 *
 * Exit codes: 0 ok; 1 the API refused (4xx, its message is printed); 2 usage (bad flags,
 * unreadable spec, not logged in); 3 the deployment failed while --wait was waiting;
 * 4 the API could not be reached or answered 5xx; 5 --wait gave up (--timeout).
 * `--output json` prints the API's JSON answer unchanged, for scripts.
 */
import { Command, CommanderError, Option } from 'commander';
import { ApiError, UnavailableError, UsageError } from './client';
import { registerCatalog } from './commands/catalog';
import { registerDeploy } from './commands/deploy';
import { registerDeployments } from './commands/deployments';
import { registerLogin } from './commands/login';
import { registerObserve, registerUsage } from './commands/observe';
import { registerSchedule } from './commands/schedule';
import { ConfigError } from './config';
import { DeploymentFailedError, WaitTimeoutError } from './progress';

// `gpuctl list | head`: a reader that stops early ends the output quietly, not with a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(0);
});

export const EXIT = { ok: 0, api: 1, usage: 2, failed: 3, unavailable: 4, timeout: 5 } as const;

const program = new Command('gpuctl')
  .description('Deploy and manage dedicated GPU model deployments (vLLM on EKS).')
  .addOption(new Option('--api-url <url>', 'API base URL (default: from login, $GPUCTL_API_URL, or http://127.0.0.1:8080)'))
  .addOption(new Option('--token <jwt>', 'bearer token (default: from login or $GPUCTL_TOKEN)'))
  .option('--org <org_id>', 'organization (default: the token\'s org_id)')
  .option('--project <project_id>', 'project (default: the token\'s project, when it names one)')
  .addOption(new Option('-o, --output <format>', 'table for people, json for scripts (the API\'s answer unchanged)').choices(['table', 'json']).default('table'))
  .option('--config <path>', 'config file (default: $GPUCTL_CONFIG or ~/.config/gpuctl/config.json)')
  .showHelpAfterError()
  .addHelpText(
    'after',
    '\nExit codes: 0 ok, 1 API refused the request (4xx), 2 usage, 3 deployment failed while waiting,\n4 API unreachable or 5xx, 5 gave up waiting (--timeout).',
  );

// Registered in the order `gpuctl --help` lists them.
registerLogin(program);
registerDeploy(program);
registerDeployments(program);
registerObserve(program);
registerSchedule(program);
registerUsage(program);
registerCatalog(program);

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
