/** Just enough XML writing for AWS query-protocol responses. */

export type XmlValue = string | number | boolean | undefined | XmlValue[] | { [element: string]: XmlValue };

const escape = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

/** Arrays become `<name><member>…</member>…</name>`, objects nest, undefined is omitted. */
export const element = (name: string, value: XmlValue): string => {
  if (value === undefined) return '';
  if (Array.isArray(value)) return `<${name}>${value.map((item) => element('member', item)).join('')}</${name}>`;
  if (typeof value === 'object') {
    return `<${name}>${Object.entries(value)
      .map(([key, child]) => element(key, child))
      .join('')}</${name}>`;
  }
  return `<${name}>${escape(String(value))}</${name}>`;
};

export const document = (root: string, namespace: string, children: Record<string, XmlValue>): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${namespace}">${Object.entries(children)
    .map(([key, child]) => element(key, child))
    .join('')}</${root}>`;
