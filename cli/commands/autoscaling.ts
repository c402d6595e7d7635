/** gpuctl autoscaling get|set: a deployment's scale range, the bounds PUT …/scale and schedules must keep replicas in. */
import type { Command } from 'commander';
import type { Deployment } from '../api';
import { UsageError } from '../client';
import { clientFor, globals, integer, print, printJson } from './shared';

const describeRange = (d: Deployment): string =>
  d.autoscaling
    ? `${d.id}: ${d.autoscaling.min_replicas} to ${d.autoscaling.max_replicas} replicas (now ${d.replicas})`
    : `${d.id}: no scale range set (replicas 0 to 16; now ${d.replicas})`;

export const registerAutoscaling = (program: Command): void => {
  const autoscaling = program.command('autoscaling').description('Show or change a deployment\'s scale range (the replicas gpuctl scale and schedules may set)');

  autoscaling
    .command('get')
    .description('Show the scale range')
    .argument('<id>', 'deployment id')
    .action(async (id: string, _options: object, command: Command) => {
      const d = await clientFor(command).call('get-deployment', { model_id: id });
      if (globals(command).output === 'json') return printJson({ id: d.id, replicas: d.replicas, autoscaling: d.autoscaling });
      print(describeRange(d));
    });

  autoscaling
    .command('set')
    .description('Change the scale range: it must hold the current replicas (scale first, then narrow); no workflow runs')
    .argument('<id>', 'deployment id')
    .requiredOption('--min <n>', 'min_replicas (0 allows pausing)', integer('--min', 0))
    .requiredOption('--max <n>', 'max_replicas', integer('--max', 1))
    .addHelpText('after', '\nExample:\n  gpuctl autoscaling set dep-123 --min 1 --max 4')
    .action(async (id: string, options: { min: number; max: number }, command: Command) => {
      if (options.min > options.max) throw new UsageError(`--min ${options.min} is above --max ${options.max}`);
      const d = await clientFor(command).call('set-deployment-autoscaling', { model_id: id }, { body: { min_replicas: options.min, max_replicas: options.max } });
      if (globals(command).output === 'json') return printJson(d);
      print(describeRange(d));
    });
};
