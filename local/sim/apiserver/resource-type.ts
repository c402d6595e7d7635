/** How the API server describes a resource it serves (its own file so the resource tables can import it without a circle). */
import type { FieldError, ResourceRef } from './status.js';
import type { KubeObject } from './types.js';
import type { NameRule } from './validation.js';

/** What defaulting may need from the world around the API server. */
export interface AdmissionContext {
  now: string;
  allocateServiceIp(): string;
  /** The DefaultStorageClass admission plugin's choice: the newest class annotated as the default, if any. */
  defaultStorageClass?(): string | undefined;
}

export interface ResourceType extends ResourceRef {
  version: string;
  apiVersion: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  /** Discovery categories; `all` makes `kubectl get all` include the resource. */
  categories?: string[];
  subresources: ('status' | 'scale' | 'log' | 'eviction')[];
  /** Objects whose spec changes bump metadata.generation. */
  tracksGeneration: boolean;
  nameRule: NameRule;
  /** Delete responses return the deleted object instead of a Success Status. */
  deleteReturnsObject: boolean;
  /** Fills defaults on create (old undefined) and on update. */
  defaults?(obj: KubeObject, ctx: AdmissionContext, old: KubeObject | undefined): void;
  validate?(obj: KubeObject, old: KubeObject | undefined): FieldError[];
}
