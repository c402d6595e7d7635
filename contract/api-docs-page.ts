/**
 * The OpenAPI document as one self-contained HTML page, rendered here rather than in the
 * browser: no script, no CDN, nothing fetched (the API may run where there is no internet).
 * Operations by tag with their parameters, bodies and answers; every named schema as a table
 * of its properties, linked from wherever it is referenced. Pure.
 */
import type { OpenApiDocument } from './openapi';

type Schema = Record<string, unknown>;

const escape = (text: unknown): string =>
  String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** `code` spans for backticks; everything else escaped. */
const prose = (text: unknown): string => escape(text ?? '').replace(/`([^`]+)`/g, '<code>$1</code>');

const refName = (ref: string): string => ref.split('/').pop() ?? ref;

/** A one-line type: `string`, `integer ≥ 1`, `array of X`, a link to a named schema, … */
export const typeOf = (schema: Schema | undefined): string => {
  if (!schema) return 'any';
  if (typeof schema.$ref === 'string') return `<a href="#schema-${escape(refName(schema.$ref))}">${escape(refName(schema.$ref))}</a>`;
  if (Array.isArray(schema.anyOf)) return (schema.anyOf as Schema[]).map(typeOf).join(' | ');
  if (Array.isArray(schema.enum)) return (schema.enum as unknown[]).map((v) => `<code>${escape(JSON.stringify(v))}</code>`).join(' | ');
  if (schema.const !== undefined) return `<code>${escape(JSON.stringify(schema.const))}</code>`;
  const types = Array.isArray(schema.type) ? (schema.type as string[]) : schema.type ? [String(schema.type)] : [];
  const base = types
    // Each piece is HTML already: an array's item type is rendered (links, limits), so the whole is not escaped again.
    .map((t) => (t === 'array' ? `array of ${typeOf(schema.items as Schema)}` : t === 'object' && schema.properties ? 'object (below)' : escape(t)))
    .join(' | ');
  const limits = [
    schema.format ? escape(schema.format) : '',
    schema.minimum !== undefined ? `≥ ${schema.minimum}` : '',
    schema.maximum !== undefined ? `≤ ${schema.maximum}` : '',
    schema.minLength !== undefined ? `length ≥ ${schema.minLength}` : '',
    schema.maxLength !== undefined ? `length ≤ ${schema.maxLength}` : '',
    schema.pattern ? `pattern <code>${escape(schema.pattern)}</code>` : '',
    schema.default !== undefined ? `default <code>${escape(JSON.stringify(schema.default))}</code>` : '',
  ].filter(Boolean);
  return `${base || 'any'}${limits.length ? ` <span class="limits">(${limits.join(', ')})</span>` : ''}`;
};

/** The properties of an object schema as table rows, nested objects indented below their field. */
const propertyRows = (schema: Schema, prefix = ''): string => {
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties)
    .map(([name, property]) => {
      const nested = property.type === 'object' && property.properties ? propertyRows(property, `${prefix}${name}.`) : '';
      return `<tr><td><code>${escape(prefix + name)}</code>${required.has(name) ? '' : ' <span class="optional">optional</span>'}</td><td>${typeOf(property)}</td><td>${prose(property.description)}</td></tr>${nested}`;
    })
    .join('');
};

const schemaBlock = (schema: Schema): string =>
  schema.properties
    ? `<table><tr><th>field</th><th>type</th><th>description</th></tr>${propertyRows(schema)}</table>`
    : `<p>${typeOf(schema)}</p>`;

const contentSchema = (content: unknown): { type: string; schema: Schema } | undefined => {
  const entries = Object.entries((content ?? {}) as Record<string, { schema?: Schema }>);
  const [type, media] = entries[0] ?? [];
  return type ? { type, schema: media?.schema ?? {} } : undefined;
};

const operationBlock = (method: string, path: string, op: Schema): string => {
  const parameters = (op.parameters ?? []) as Schema[];
  const body = contentSchema((op.requestBody as Schema | undefined)?.content);
  const responses = Object.entries((op.responses ?? {}) as Record<string, Schema>);
  const isPublic = Array.isArray(op.security) && op.security.length === 0;
  return `<section class="op" id="op-${escape(op.operationId)}">
<h3><span class="method ${escape(method)}">${escape(method.toUpperCase())}</span> <code>${escape(path)}</code></h3>
<p><strong>${prose(op.summary)}</strong>${isPublic ? ' <span class="optional">no token</span>' : ''}</p>
${op.description ? `<p>${prose(op.description)}</p>` : ''}
${
  parameters.length
    ? `<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>type</th><th>description</th></tr>${parameters
        .map((p) => `<tr><td><code>${escape(p.name)}</code>${p.required ? '' : ' <span class="optional">optional</span>'}</td><td>${escape(p.in)}</td><td>${typeOf(p.schema as Schema)}</td><td>${prose(p.description ?? (p.schema as Schema)?.description)}</td></tr>`)
        .join('')}</table>`
    : ''
}
${body ? `<h4>Request body (${escape(body.type)})</h4>${schemaBlock(body.schema)}` : ''}
<h4>Responses</h4><table><tr><th>status</th><th>body</th><th>description</th></tr>${responses
    .map(([status, r]) => {
      const content = contentSchema(r.content);
      return `<tr><td>${escape(status)}</td><td>${content ? typeOf(content.schema) : '—'}</td><td>${prose(r.description)}</td></tr>`;
    })
    .join('')}</table>
</section>`;
};

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:70rem;padding:1rem 2rem;color:#1b1f24}
code{font:13px ui-monospace,monospace;background:#f2f4f7;padding:0 .2em;border-radius:3px}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}td,th{border:1px solid #d8dde3;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}.op{border-top:1px solid #d8dde3;padding-top:.5rem}.method{font:bold 13px ui-monospace,monospace;padding:.1em .4em;border-radius:3px;color:#fff}
.get{background:#1a7f37}.post{background:#0969da}.put{background:#9a6700}.delete{background:#cf222e}.optional,.limits{color:#57606a;font-size:12px}
nav li{margin:.1rem 0}`;

export const renderApiDocsPage = (doc: OpenApiDocument): string => {
  const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ path, method, op: op as Schema & { tags?: string[] } })),
  );
  const tags = ((doc.tags ?? []) as { name: string; description?: string }[]).map((tag) => ({
    ...tag,
    operations: operations.filter(({ op }) => op.tags?.includes(tag.name)),
  }));
  const nav = tags
    .map(
      (tag) =>
        `<li>${escape(tag.name)}<ul>${tag.operations
          .map(({ path, method, op }) => `<li><a href="#op-${escape(op.operationId)}">${escape(method.toUpperCase())} ${escape(path)}</a></li>`)
          .join('')}</ul></li>`,
    )
    .join('');
  const sections = tags
    .map((tag) => `<h2>${escape(tag.name)}</h2><p>${prose(tag.description)}</p>${tag.operations.map(({ path, method, op }) => operationBlock(method, path, op)).join('\n')}`)
    .join('\n');
  const schemas = Object.entries(doc.components.schemas)
    .map(([name, schema]) => `<section id="schema-${escape(name)}"><h3>${escape(name)}</h3>${schema.description ? `<p>${prose(schema.description)}</p>` : ''}${schemaBlock(schema)}</section>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(doc.info.title)} ${escape(doc.info.version)}</title><style>${STYLE}</style></head>
<body><h1>${escape(doc.info.title)} <small>${escape(doc.info.version)}</small></h1>
<p>${prose(doc.info.description)}</p>
<p>Machine-readable: <a href="openapi.json">openapi.json</a> (OpenAPI ${escape(doc.openapi)}). Authenticate with <code>Authorization: Bearer &lt;JWT&gt;</code>.</p>
<nav><ul>${nav}<li><a href="#schemas">Schemas</a></li></ul></nav>
${sections}
<h2 id="schemas">Schemas</h2>
${schemas}
</body></html>
`;
};
