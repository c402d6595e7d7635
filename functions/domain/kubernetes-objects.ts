/**
 * Readings of what the Kubernetes API returns: status conditions, a node's instance, a pod
 * log's newest bytes. Pure; typed by the fields read, so any client's objects fit.
 */

interface Conditioned {
  status?: { conditions?: readonly { type: string; status: string }[] };
}

/** Whether the object's condition of this type is True, like controller-runtime's meta.IsStatusConditionTrue. */
export const isConditionTrue = (object: Conditioned, type: string): boolean =>
  object.status?.conditions?.some((c) => c.type === type && c.status === 'True') ?? false;

export const isNodeReady = (node: Conditioned): boolean => isConditionTrue(node, 'Ready');

/** `aws:///us-east-1a/i-0abc` -> `i-0abc`. */
export const instanceIdOf = (node: { spec?: { providerID?: string } }): string | undefined => node.spec?.providerID?.split('/').pop();

/** The newest whole lines of `log` that fit in `maxBytes` (UTF-8), and whether any were dropped. */
export const keepNewestBytes = (log: string, maxBytes: number): { log: string; truncated?: true } => {
  if (Buffer.byteLength(log, 'utf8') <= maxBytes) return { log };
  const bytes = Buffer.from(log, 'utf8');
  let start = bytes.length - maxBytes;
  // Start after a line break, so the first line shown is whole.
  const nextLine = bytes.indexOf(0x0a, start - 1);
  start = nextLine === -1 ? bytes.length : nextLine + 1;
  return { log: bytes.subarray(start).toString('utf8'), truncated: true };
};
