import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../../contract/openapi';
import { ROUTES } from '../../contract/routes';
import { renderApiMarkdown } from '../../scripts/api-markdown';

describe('docs/api.md', () => {
  it('is what npm run docs:api renders from the current OpenAPI document', () => {
    const committed = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
    expect(committed, 'docs/api.md is stale: run npm run docs:api').toBe(renderApiMarkdown(buildOpenApiDocument()));
  });

  it('has a section for every route and links that resolve to its headings', () => {
    const markdown = renderApiMarkdown(buildOpenApiDocument());
    for (const route of ROUTES) expect(markdown).toContain(`### ${route.method} \`${route.path}\``);
    const anchors = new Set(
      [...markdown.matchAll(/^#+ (.+)$/gm)].map(([, heading]) => heading!.toLowerCase().replace(/[^a-z0-9 _-]/g, '').replace(/ /g, '-')),
    );
    const links = [...markdown.matchAll(/\]\(#([^)]+)\)/g)].map(([, target]) => target!);
    expect(links.length).toBeGreaterThan(ROUTES.length);
    expect(links.filter((target) => !anchors.has(target))).toEqual([]);
  });
});
