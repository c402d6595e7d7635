/** Column and cell helpers shared by the Table printers (kube-apiserver's printer conventions). */
import { isRecord, type KubeObject } from './types.js';

export interface Column {
  name: string;
  type: 'string' | 'integer' | 'date';
  format?: 'name';
  description: string;
  priority?: 1;
}

export interface Printer {
  columns: Column[];
  cells(obj: KubeObject, now: number): unknown[];
}

export const col = (name: string, description: string, priority?: 1, type: Column['type'] = 'string'): Column => ({
  name,
  type,
  description,
  ...(priority ? { priority } : {}),
});
export const NAME: Column = { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.' };
export const AGE = col('Age', 'CreationTimestamp is a timestamp representing the server time when this object was created.');

export type Rec = Record<string, unknown>;
export const rec = (value: unknown): Rec => (isRecord(value) ? value : {});
export const arr = (value: unknown): Rec[] => (Array.isArray(value) ? value.filter(isRecord) : []);
export const str = (value: unknown): string => (typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value));
export const num = (value: unknown): number => (typeof value === 'number' ? value : 0);
export const orNone = (value: string): string => (value === '' ? '<none>' : value);

/** apimachinery's duration.HumanDuration: the AGE format of every kubectl table. */
export const humanDuration = (ms: number): string => {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const days = Math.floor(hours / 24) % 365;
  if (hours < 24 * 365 * 8) return days === 0 ? `${Math.floor(hours / 24 / 365)}y` : `${Math.floor(hours / 24 / 365)}y${days}d`;
  return `${Math.floor(hours / 24 / 365)}y`;
};

export const since = (timestamp: unknown, now: number): string => {
  const t = Date.parse(str(timestamp));
  return Number.isNaN(t) ? '<unknown>' : humanDuration(now - t);
};
export const age = (obj: KubeObject, now: number): string => since(obj.metadata.creationTimestamp, now);

