/**
 * Every `code` an error response may carry: the handlers' errors (functions/domain/errors.ts)
 * and the gateway's own use the same ones, and the OpenAPI document lists them
 * (contract/api-schemas.ts errorSchema).
 */
export const ERROR_CODES = [
  'invalid_request',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'payload_too_large',
  'unsupported_media_type',
  'method_not_allowed',
  'internal_error',
  'bad_gateway',
  'service_unavailable',
  'gateway_timeout',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];
