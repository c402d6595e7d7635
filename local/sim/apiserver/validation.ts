/** Field validation with the API server's rules and messages, for the fields that matter here. */
import { parseQuantity } from './quantity.js';
import type { FieldError } from './status.js';
import { isRecord, type Container, type PodSpec, type Toleration } from './types.js';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const GPU = 'nvidia.com/gpu';

export type NameRule = 'subdomain' | 'label' | 'dns1035';

const DETAILS: Record<NameRule, string> = {
  subdomain:
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
  label:
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
  dns1035:
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
};

export const validateName = (name: string, rule: NameRule, field = 'metadata.name'): FieldError[] => {
  const max = rule === 'subdomain' ? 253 : 63;
  const pattern = rule === 'subdomain' ? DNS1123_SUBDOMAIN : rule === 'label' ? DNS1123_LABEL : DNS1035_LABEL;
  if (name.length > max) return [{ field, type: 'Invalid', value: name, detail: `must be no more than ${max} characters` }];
  return pattern.test(name) ? [] : [{ field, type: 'Invalid', value: name, detail: DETAILS[rule] }];
};

const validateQualifiedKey = (key: string, field: string): FieldError[] => {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const errors: FieldError[] = [];
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) {
    errors.push({ field, type: 'Invalid', value: key, detail: `prefix part ${DETAILS.subdomain}` });
  }
  if (name.length === 0 || name.length > 63 || !QUALIFIED_NAME.test(name)) {
    errors.push({
      field,
      type: 'Invalid',
      value: key,
      detail:
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    });
  }
  return errors;
};

export const validateLabels = (labels: unknown, field: string): FieldError[] => {
  if (labels === undefined || labels === null) return [];
  if (!isRecord(labels)) return [{ field, type: 'Invalid', value: labels, detail: 'must be a map of strings' }];
  const errors: FieldError[] = [];
  for (const [key, value] of Object.entries(labels)) {
    errors.push(...validateQualifiedKey(key, field));
    if (typeof value !== 'string') {
      errors.push({ field, type: 'Invalid', value, detail: 'label values must be strings' });
    } else if (value.length > 63 || !LABEL_VALUE.test(value)) {
      errors.push({
        field,
        type: 'Invalid',
        value,
        detail:
          value.length > 63
            ? 'must be no more than 63 characters'
            : "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
      });
    }
  }
  return errors;
};

export const validateAnnotations = (annotations: unknown, field: string): FieldError[] => {
  if (annotations === undefined || annotations === null) return [];
  if (!isRecord(annotations)) return [{ field, type: 'Invalid', value: annotations, detail: 'must be a map of strings' }];
  const errors = Object.keys(annotations).flatMap((key) => validateQualifiedKey(key, field));
  for (const value of Object.values(annotations)) {
    if (typeof value !== 'string') errors.push({ field, type: 'Invalid', value, detail: 'annotation values must be strings' });
  }
  return errors;
};

const validateResources = (container: Container, path: string): FieldError[] => {
  const errors: FieldError[] = [];
  const resources = container.resources;
  if (resources === undefined) return errors;
  for (const kind of ['limits', 'requests'] as const) {
    for (const [name, value] of Object.entries(resources[kind] ?? {})) {
      if (parseQuantity(value) === undefined) {
        errors.push({
          field: `${path}.resources.${kind}[${name}]`,
          type: 'Invalid',
          value,
          detail: "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
        });
      }
    }
  }
  const limit = resources.limits?.[GPU];
  const request = resources.requests?.[GPU];
  if (request !== undefined && limit === undefined) {
    errors.push({ field: `${path}.resources.limits`, type: 'Required', detail: 'Limit must be set for non overcommitable resources' });
  } else if (request !== undefined && limit !== undefined && parseQuantity(request) !== parseQuantity(limit)) {
    errors.push({ field: `${path}.resources.requests`, type: 'Invalid', value: String(request), detail: `must be equal to ${GPU} limit of ${String(limit)}` });
  }
  for (const name of ['cpu', 'memory']) {
    const lim = parseQuantity(resources.limits?.[name]);
    const req = parseQuantity(resources.requests?.[name]);
    if (lim !== undefined && req !== undefined && req > lim) {
      errors.push({
        field: `${path}.resources.requests`,
        type: 'Invalid',
        value: String(resources.requests?.[name]),
        detail: `must be less than or equal to ${name} limit of ${String(resources.limits?.[name])}`,
      });
    }
  }
  return errors;
};

const validateTolerations = (tolerations: Toleration[] | undefined, path: string): FieldError[] => {
  const errors: FieldError[] = [];
  (tolerations ?? []).forEach((t, i) => {
    const field = `${path}.tolerations[${i}]`;
    if (t.operator !== undefined && t.operator !== 'Exists' && t.operator !== 'Equal') {
      errors.push({ field: `${field}.operator`, type: 'NotSupported', value: t.operator, detail: '"Equal", "Exists"' });
    }
    if (t.operator === 'Exists' && t.value) {
      errors.push({ field: `${field}.operator`, type: 'Invalid', value: t.value, detail: "value must be empty when `operator` is 'Exists'" });
    }
    if (!t.key && t.operator !== 'Exists') {
      errors.push({ field: `${field}.operator`, type: 'Invalid', value: t.operator ?? 'Equal', detail: "operator must be Exists when `key` is empty, which means \"match all values and all keys\"" });
    }
    if (t.effect && !['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(t.effect)) {
      errors.push({ field: `${field}.effect`, type: 'NotSupported', value: t.effect, detail: '"NoExecute", "NoSchedule", "PreferNoSchedule"' });
    }
  });
  return errors;
};

/** Validates a pod spec (of a Pod, or of a template at `path`). */
export const validatePodSpec = (spec: unknown, path: string): FieldError[] => {
  if (!isRecord(spec)) return [{ field: path, type: 'Required' }];
  const podSpec = spec as PodSpec;
  const errors: FieldError[] = [];
  if (!Array.isArray(podSpec.containers) || podSpec.containers.length === 0) {
    errors.push({ field: `${path}.containers`, type: 'Required' });
    return errors;
  }
  const seen = new Set<string>();
  podSpec.containers.forEach((container, i) => {
    const cpath = `${path}.containers[${i}]`;
    if (!isRecord(container)) {
      errors.push({ field: cpath, type: 'Invalid', value: container, detail: 'must be an object' });
      return;
    }
    if (typeof container.name !== 'string' || container.name === '') errors.push({ field: `${cpath}.name`, type: 'Required' });
    else {
      errors.push(...validateName(container.name, 'label', `${cpath}.name`));
      if (seen.has(container.name)) errors.push({ field: `${cpath}.name`, type: 'Duplicate', value: container.name });
      seen.add(container.name);
    }
    if (typeof container.image !== 'string' || container.image.trim() === '') errors.push({ field: `${cpath}.image`, type: 'Required' });
    errors.push(...validateResources(container, cpath));
  });
  errors.push(...validateLabels(podSpec.nodeSelector, `${path}.nodeSelector`));
  errors.push(...validateTolerations(podSpec.tolerations, path));
  return errors;
};
