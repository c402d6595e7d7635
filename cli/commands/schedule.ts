/** gpuctl schedule get, set and delete: a deployment's scaling windows and idle timeout. */
import type { Command } from 'commander';
import type { ScheduleDraft } from '../api';
import { UsageError } from '../client';
import { describeSchedule, parseWindow } from '../schedule';
import { clientFor, collect, globals, integer, print, printJson, readObjectFile, show } from './shared';

interface SetOptions {
  file?: string;
  window?: string[];
  timezone?: string;
  idleTimeout?: number;
}

export const registerSchedule = (program: Command): void => {
  const schedule = program.command('schedule').description('Scaling windows (cron in an IANA time zone) and an idle timeout of a deployment');

  schedule
    .command('get')
    .description('Show the schedule: windows with their next fire, idle timeout, next check (exit 1 if there is none)')
    .argument('<id>', 'deployment id')
    .action(async (id: string, _options: object, command: Command) => {
      const view = await clientFor(command).call('get-schedule', { model_id: id });
      show(command, view, (v) => describeSchedule(id, v, new Date()));
    });

  schedule
    .command('set')
    .description('Replace the schedule, from flags or a YAML/JSON file holding the PUT body (flags override it)')
    .argument('<id>', 'deployment id')
    .option('-f, --file <path>', 'schedule file (YAML or JSON), - for stdin')
    .option('--window <cron=replicas>', 'a window: at each fire of the 5-field cron, scale to replicas (0 pauses); repeatable, e.g. --window "0 20 * * 1-5=0"', collect)
    .option('--timezone <zone>', 'IANA time zone of the cron times, e.g. Europe/Berlin or UTC')
    .option('--idle-timeout <minutes>', 'pause after this many minutes without a request (1-10080)', integer('--idle-timeout', 1))
    .addHelpText('after', '\nExample:\n  gpuctl schedule set dep-123 --timezone Europe/Berlin --window "0 20 * * 1-5=0" --window "0 8 * * 1-5=1" --idle-timeout 60')
    .action(async (id: string, options: SetOptions, command: Command) => {
      const body: ScheduleDraft = options.file ? await readObjectFile(options.file, 'the schedule: time_zone, windows, idle_timeout_minutes') : {};
      if (options.timezone !== undefined) body.time_zone = options.timezone;
      if (options.window) body.windows = options.window.map(parseWindow);
      if (options.idleTimeout !== undefined) body.idle_timeout_minutes = options.idleTimeout;
      if (Object.keys(body).length === 0) throw new UsageError('schedule set needs --timezone with --window and/or --idle-timeout, or a --file');
      const view = await clientFor(command).call('put-schedule', { model_id: id }, { body });
      show(command, view, (v) => describeSchedule(id, v, new Date()));
    });

  schedule
    .command('delete')
    .description('Remove the schedule: no more windows or idle pauses (the replicas stay as they are)')
    .argument('<id>', 'deployment id')
    .action(async (id: string, _options: object, command: Command) => {
      await clientFor(command).call('delete-schedule', { model_id: id });
      if (globals(command).output === 'json') return printJson({ id, schedule: null });
      print(`${id} has no schedule now`);
    });
};
