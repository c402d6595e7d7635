/** `npm run docs:api`: writes docs/api.md from the OpenAPI document (see scripts/api-markdown.ts). */
import { writeFileSync } from 'node:fs';
import { buildOpenApiDocument } from '../contract/openapi';
import { renderApiMarkdown } from './api-markdown';

const target = new URL('../docs/api.md', import.meta.url);
writeFileSync(target, renderApiMarkdown(buildOpenApiDocument()));
console.log(`wrote ${target.pathname}`);
