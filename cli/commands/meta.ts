/** gpuctl openapi and api-docs: the API's own description (public routes: no login needed). */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { routeOf } from '../api';
import { globals, print, printJson, publicClientFor } from './shared';

export const registerMeta = (program: Command): void => {
  program
    .command('openapi')
    .description('Print the API\'s OpenAPI 3.1 document (JSON), e.g. for a client generator; no login needed')
    .action(async (_options: object, command: Command) => {
      printJson(await publicClientFor(command).client.call('get-openapi'));
    });

  program
    .command('api-docs')
    .description('Print the address of the browsable API reference after checking it answers; --save writes the page')
    .option('--save <path>', 'write the HTML page to this file (self-contained, opens offline)')
    .action(async (options: { save?: string }, command: Command) => {
      const { client, apiUrl } = publicClientFor(command);
      const page = await client.call('get-api-docs');
      if (options.save) writeFileSync(options.save, page);
      const url = `${apiUrl.replace(/\/+$/, '')}${routeOf('get-api-docs', () => undefined).path}`;
      if (globals(command).output === 'json') return printJson({ url, saved_to: options.save ?? null });
      print(options.save ? `${url} saved to ${options.save}` : url);
    });
};
