/** GET /api/v1beta1/docs: the OpenAPI document as a self-contained HTML page. No token needed. */
import { apiHandler, type ApiResult } from '../commons/http';
import { renderApiDocsPage } from '../../contract/api-docs-page';
import { buildOpenApiDocument } from '../../contract/openapi';

const page = renderApiDocsPage(buildOpenApiDocument());

export const getApiDocs = async (): Promise<ApiResult> => ({
  statusCode: 200,
  headers: {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'public, max-age=300',
    // The page has no script and loads nothing: its one stylesheet is inline.
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'",
  },
  body: page,
});

export const handler = apiHandler(getApiDocs);
