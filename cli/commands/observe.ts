/** gpuctl logs, events and usage: what a deployment did and cost (usage registered apart, for its place in --help). */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import type { DeploymentEvent, EventList, Logs } from '../api';
import { ApiError } from '../client';
import { newLines, table } from '../output';
import { describeUsage } from '../schedule';
import { clientFor, globals, integer, print, printJson, show } from './shared';

const splitLines = (log: string): string[] => (log === '' ? [] : log.replace(/\n$/, '').split('\n'));

interface LogsOptions {
  tail: number;
  replica?: string;
  previous?: boolean;
  follow?: boolean;
  interval: number;
}

interface EventsOptions {
  limit: number;
  cursor?: string;
  all?: boolean;
}

export const registerObserve = (program: Command): void => {
  program
    .command('logs')
    .description('Print the model server log of each pod (oldest pod first)')
    .argument('<id>', 'deployment id')
    .option('--tail <n>', 'lines per pod', integer('--tail', 1), 100)
    .option('--replica <index|pod>', 'one pod: its index (0 = oldest) or name')
    .option('--previous', 'the previous container\'s log (after a restart)')
    .option('-f, --follow', 'keep polling and print only new lines (Ctrl-C to stop)')
    .option('--interval <seconds>', 'poll interval with --follow', Number, 2)
    .action(async (id: string, options: LogsOptions, command: Command) => {
      const client = clientFor(command);
      const json = globals(command).output === 'json';
      const query = { tail_lines: options.tail, replica: options.replica, previous: options.previous ? 'true' : undefined };
      const seen = new Map<string, string[]>();
      for (;;) {
        let logs: Logs;
        try {
          logs = await client.call('get-deployment-logs', { model_id: id }, { query });
        } catch (error) {
          // Following a deployment that is deleted meanwhile ends quietly.
          if (options.follow && seen.size > 0 && error instanceof ApiError && error.status === 404) return;
          throw error;
        }
        if (json) {
          // One JSON document per poll (one line each when following).
          print(options.follow ? JSON.stringify(logs) : JSON.stringify(logs, null, 2));
        } else {
          const prefix = logs.pods.length > 1;
          for (const pod of logs.pods) {
            if (pod.error && !seen.has(pod.name)) process.stderr.write(`[${pod.name}] log unavailable: ${pod.error}\n`);
            const lines = splitLines(pod.log);
            for (const line of newLines(seen.get(pod.name) ?? [], lines)) print(prefix ? `[${pod.name}] ${line}` : line);
            seen.set(pod.name, lines);
          }
        }
        if (!options.follow) return;
        await sleep(options.interval * 1000);
      }
    });

  program
    .command('events')
    .description('Show a deployment\'s history, oldest first')
    .argument('<id>', 'deployment id')
    .option('--limit <n>', 'events per page (at most 100)', integer('--limit', 1), 50)
    .option('--cursor <cursor>', 'continue after a previous page (its next_cursor)')
    .option('--all', 'follow next_cursor through every page')
    .action(async (id: string, options: EventsOptions, command: Command) => {
      const client = clientFor(command);
      const items: DeploymentEvent[] = [];
      let cursor = options.cursor;
      let last: EventList;
      do {
        last = await client.call('list-deployment-events', { model_id: id }, { query: { limit: options.limit, cursor } });
        items.push(...last.items);
        cursor = last.next_cursor ?? undefined;
      } while (options.all && cursor);
      if (globals(command).output === 'json') return printJson(options.all ? { items, next_cursor: null } : last);
      print(
        table(items, [
          ['AT', (e) => e.at],
          ['TYPE', (e) => e.type],
          ['STATUS', (e) => e.status],
          ['PHASE', (e) => e.phase],
          ['MESSAGE', (e) => `${e.message}${e.reason ? ` (${e.reason})` : ''}`],
        ]),
      );
      if (!options.all && last.next_cursor) print(`more: gpuctl events ${id} --cursor ${last.next_cursor} (or --all)`);
    });
};

export const registerUsage = (program: Command): void => {
  program
    .command('usage')
    .description('Serving time, GPU-seconds and cost so far, per UTC day and in total')
    .argument('<id>', 'deployment id')
    .action(async (id: string, _options: object, command: Command) => {
      const usage = await clientFor(command).call('get-usage', { model_id: id });
      show(command, usage, describeUsage);
    });
};
