import type { LabelSelector, Labels } from './types.js';

/** One requirement of a label selector, after parsing. */
export interface LabelRequirement {
  key: string;
  operator: 'in' | 'notin' | 'exists' | '!exists' | '=' | '!=';
  values: string[];
}

export class SelectorError extends Error {}

/** Splits on commas that are not inside parentheses: `a in (x,y),b` -> [`a in (x,y)`, `b`]. */
const splitTopLevel = (text: string): string[] => {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth += 1;
    if (ch === ')') depth -= 1;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
};

const SET_BASED = /^([^\s!=()]+)\s+(in|notin)\s*\(([^)]*)\)$/;
const EQUALITY = /^([^\s!=()]+)\s*(==|=|!=)\s*([^\s!=(),]*)$/;
const EXISTS = /^(!?)\s*([^\s!=(),]+)$/;

/** Parses `a=b,c!=d,e,!f,g in (x,y),h notin (z)` as kubectl and the API server do. */
export const parseLabelSelector = (text: string | undefined): LabelRequirement[] => {
  if (!text) return [];
  return splitTopLevel(text).map((part): LabelRequirement => {
    const set = SET_BASED.exec(part);
    if (set) {
      const values = (set[3] ?? '').split(',').map((v) => v.trim()).filter((v) => v.length > 0);
      return { key: set[1] ?? '', operator: set[2] === 'in' ? 'in' : 'notin', values };
    }
    const eq = EQUALITY.exec(part);
    if (eq) return { key: eq[1] ?? '', operator: eq[2] === '!=' ? '!=' : '=', values: [eq[3] ?? ''] };
    const exists = EXISTS.exec(part);
    if (exists) return { key: exists[2] ?? '', operator: exists[1] === '!' ? '!exists' : 'exists', values: [] };
    throw new SelectorError(`unable to parse requirement: ${JSON.stringify(part)}`);
  });
};

export const requirementMatches = (req: LabelRequirement, labels: Labels | undefined): boolean => {
  const has = labels !== undefined && Object.hasOwn(labels, req.key);
  const value = has ? labels[req.key] : undefined;
  switch (req.operator) {
    case 'exists':
      return has;
    case '!exists':
      return !has;
    case '=':
      return has && value === req.values[0];
    case '!=':
      return !has || value !== req.values[0];
    case 'in':
      return has && req.values.includes(value ?? '');
    case 'notin':
      return !has || !req.values.includes(value ?? '');
  }
};

export const labelsMatch = (requirements: LabelRequirement[], labels: Labels | undefined): boolean =>
  requirements.every((req) => requirementMatches(req, labels));

/** Converts a structured `metav1.LabelSelector` to requirements. An empty selector matches everything. */
export const requirementsFromSelector = (selector: LabelSelector | undefined): LabelRequirement[] => {
  const reqs: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(selector?.matchLabels ?? {})) {
    reqs.push({ key, operator: '=', values: [value] });
  }
  for (const expr of selector?.matchExpressions ?? []) {
    const operator = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!exists' } as const;
    reqs.push({ key: expr.key, operator: operator[expr.operator], values: expr.values ?? [] });
  }
  return reqs;
};

/** Renders a structured selector the way `Scale.status.selector` does: `app=x,tier in (a,b)`. */
export const selectorToString = (selector: LabelSelector | undefined): string =>
  requirementsFromSelector(selector)
    .map((r) => {
      switch (r.operator) {
        case '=':
          return `${r.key}=${r.values[0] ?? ''}`;
        case '!=':
          return `${r.key}!=${r.values[0] ?? ''}`;
        case 'exists':
          return r.key;
        case '!exists':
          return `!${r.key}`;
        case 'in':
        case 'notin':
          return `${r.key} ${r.operator} (${r.values.join(',')})`;
      }
    })
    .join(',');

export interface FieldRequirement {
  field: string;
  operator: '=' | '!=';
  value: string;
}

/** Parses `spec.nodeName=x,status.phase!=Running`. */
export const parseFieldSelector = (text: string | undefined): FieldRequirement[] => {
  if (!text) return [];
  return text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0)
    .map((part) => {
      const match = /^([^=!]+)(==|=|!=)(.*)$/.exec(part);
      if (!match) throw new SelectorError(`invalid selector: '${part}'; can't understand '${part}'`);
      return { field: (match[1] ?? '').trim(), operator: match[2] === '!=' ? '!=' : '=', value: (match[3] ?? '').trim() };
    });
};
