/** GET /api/v1beta1/openapi.json: the API's OpenAPI 3.1 document, built once per container. No token needed. */
import { apiHandler, json, type ApiResult } from '../commons/http';
import { buildOpenApiDocument } from '../../contract/openapi';

const document = buildOpenApiDocument();

export const getOpenApi = async (): Promise<ApiResult> => ({
  ...json(200, document),
  headers: { 'content-type': 'application/json', 'cache-control': 'public, max-age=300' },
});

export const handler = apiHandler(getOpenApi);
