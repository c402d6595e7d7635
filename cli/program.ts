/**
 * gpuctl's command tree: the global options and every command group of cli/commands/, in the
 * order `gpuctl --help` lists them. Built apart from cli/main.ts (which runs it) so a test can
 * walk the commands without running one.
 */
import { Command, Option } from 'commander';
import { registerAutoscaling } from './commands/autoscaling';
import { registerCatalog } from './commands/catalog';
import { registerApply, registerDeploy } from './commands/deploy';
import { registerDeployments } from './commands/deployments';
import { registerKeys } from './commands/keys';
import { registerLogin } from './commands/login';
import { registerMeta } from './commands/meta';
import { registerObserve, registerUsage } from './commands/observe';
import { registerSchedule } from './commands/schedule';
import { registerServing } from './commands/serving';

export const buildProgram = (): Command => {
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
  registerApply(program);
  registerDeployments(program);
  registerAutoscaling(program);
  registerServing(program);
  registerObserve(program);
  registerSchedule(program);
  registerUsage(program);
  registerKeys(program);
  registerCatalog(program);
  registerMeta(program);
  return program;
};
