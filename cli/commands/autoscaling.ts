/**
 * gpuctl autoscaling get|set: a deployment's scale range, the bounds PUT …/scale and schedules
 * must keep replicas in, and the load autoscaler's settings and last decision (docs/autoscaling.md).
 */
import type { Command } from 'commander';
import type { Deployment } from '../api';
import { UsageError } from '../client';
import { clientFor, globals, integer, print, printJson } from './shared';

/** The load autoscaler in a few lines (gpuctl get and autoscaling get); null when it is off. */
export const describeLoadScaling = (d: Deployment): string | null => {
  const a = d.autoscaling;
  if (!a?.enabled) return null;
  const lines = [
    `on: target ${a.target?.metric} ${a.target?.value} per replica, up after ${a.scale_up_delay_seconds} s, down after ${a.scale_down_delay_seconds} s` +
      (a.min_replicas === 0 ? `, to zero after ${a.scale_to_zero_delay_seconds} s idle` : ''),
    `desired ${a.desired_replicas ?? '-'} replica(s)`,
  ];
  const last = a.last_decision;
  if (last) lines.push(`last decision ${last.at}: ${last.desired} (${last.reason}); ${last.outcome}`);
  return lines.join('\n             ');
};

const describeRange = (d: Deployment): string => {
  if (!d.autoscaling) return `${d.id}: no scale range set (replicas 0 to 16; now ${d.replicas})`;
  const load = describeLoadScaling(d);
  return `${d.id}: ${d.autoscaling.min_replicas} to ${d.autoscaling.max_replicas} replicas (now ${d.replicas})${load ? `\nautoscaler   ${load}` : ''}`;
};

const TARGET = /^(concurrency|queue)=(\d+)$/;

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
    .option('--enable', 'turn the load autoscaler on (defaults fill in what is not given)')
    .option('--disable', 'turn the load autoscaler off (the range then only bounds gpuctl scale and schedules)')
    .option('--target <metric=value>', 'target per replica: concurrency=<requests> or queue=<waiting requests>')
    .option('--up-delay <s>', 'scale_up_delay_seconds', integer('--up-delay', 0))
    .option('--down-delay <s>', 'scale_down_delay_seconds', integer('--down-delay', 0))
    .option('--zero-delay <s>', 'scale_to_zero_delay_seconds (min 0 only)', integer('--zero-delay', 60))
    .addHelpText('after', '\nExamples:\n  gpuctl autoscaling set dep-123 --min 1 --max 4\n  gpuctl autoscaling set dep-123 --min 0 --max 4 --target concurrency=8 --zero-delay 1800')
    .action(async (id: string, options: { min: number; max: number; enable?: boolean; disable?: boolean; target?: string; upDelay?: number; downDelay?: number; zeroDelay?: number }, command: Command) => {
      if (options.min > options.max) throw new UsageError(`--min ${options.min} is above --max ${options.max}`);
      if (options.enable && options.disable) throw new UsageError('--enable and --disable exclude each other');
      const target = options.target === undefined ? undefined : TARGET.exec(options.target);
      if (target === null) throw new UsageError(`--target must be concurrency=<n> or queue=<n>, got '${options.target}'`);
      const body = {
        min_replicas: options.min,
        max_replicas: options.max,
        ...(options.enable ? { enabled: true } : options.disable ? { enabled: false } : {}),
        ...(target ? { target: { metric: target[1] as 'concurrency' | 'queue', value: Number(target[2]) } } : {}),
        ...(options.upDelay === undefined ? {} : { scale_up_delay_seconds: options.upDelay }),
        ...(options.downDelay === undefined ? {} : { scale_down_delay_seconds: options.downDelay }),
        ...(options.zeroDelay === undefined ? {} : { scale_to_zero_delay_seconds: options.zeroDelay }),
      };
      const d = await clientFor(command).call('set-deployment-autoscaling', { model_id: id }, { body });
      if (globals(command).output === 'json') return printJson(d);
      print(describeRange(d));
    });
};
