/**
 * Defaults kube-apiserver fills in that `kubectl describe` shows (pkg/apis/core/v1/defaults.go):
 * container port protocol, probe timings and handler scheme, and templates without the
 * `metadata.creationTimestamp: null` that clients send (the hash of a template must not see it).
 */
import { isRecord } from './types.js';

type Rec = Record<string, unknown>;

const defaultHandler = (handler: Rec): void => {
  if (isRecord(handler.httpGet)) handler.httpGet.scheme ??= 'HTTP';
};

const defaultProbe = (probe: unknown): void => {
  if (!isRecord(probe)) return;
  probe.timeoutSeconds ??= 1;
  probe.periodSeconds ??= 10;
  probe.successThreshold ??= 1;
  probe.failureThreshold ??= 3;
  defaultHandler(probe);
};

/** Quantities are stored in canonical string form: `nvidia.com/gpu: 1` reads back as "1", 0.5 as "500m". */
const canonicalQuantities = (list: unknown): void => {
  if (!isRecord(list)) return;
  for (const [key, value] of Object.entries(list)) {
    if (typeof value === 'number') list[key] = Number.isInteger(value) ? String(value) : `${Math.round(value * 1000)}m`;
  }
};

/** Ports, probes, lifecycle handlers and resource quantities of one container. */
export const defaultContainerApiFields = (container: Rec): void => {
  if (isRecord(container.resources)) {
    canonicalQuantities(container.resources.limits);
    canonicalQuantities(container.resources.requests);
  }
  if (Array.isArray(container.ports)) {
    for (const port of container.ports.filter(isRecord)) port.protocol ??= 'TCP';
  }
  defaultProbe(container.livenessProbe);
  defaultProbe(container.readinessProbe);
  defaultProbe(container.startupProbe);
  if (isRecord(container.lifecycle)) {
    if (isRecord(container.lifecycle.postStart)) defaultHandler(container.lifecycle.postStart);
    if (isRecord(container.lifecycle.preStop)) defaultHandler(container.lifecycle.preStop);
  }
};

/** The API server drops a null creationTimestamp when it decodes a template's ObjectMeta. */
export const normalizeTemplateMeta = (template: unknown): void => {
  if (!isRecord(template) || !isRecord(template.metadata)) return;
  if (template.metadata.creationTimestamp === null) delete template.metadata.creationTimestamp;
};
