/** The request body as payload 2.0 carries it: UTF-8 text when it is textual and valid, base64 otherwise. */

export interface EncodedBody {
  readonly body?: string;
  readonly isBase64Encoded: boolean;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export function encodeRequestBody(bytes: Buffer, contentType: string | undefined): EncodedBody {
  if (bytes.length === 0) return { isBase64Encoded: false };
  if (isTextualContentType(contentType)) {
    try {
      return { body: strictUtf8.decode(bytes), isBase64Encoded: false };
    } catch {
      // Invalid UTF-8 despite a textual type: pass the exact bytes (./README.md, "Request body").
    }
  }
  return { body: bytes.toString('base64'), isBase64Encoded: true };
}

function isTextualContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const [mediaType = '', ...parameters] = contentType.toLowerCase().split(';').map((part) => part.trim());
  const charset = parameters.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '');
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8' && charset !== 'us-ascii') return false;
  return (
    mediaType.startsWith('text/') ||
    /^application\/([a-z0-9.-]+\+)?(json|xml)$/.test(mediaType) ||
    mediaType === 'application/javascript' ||
    mediaType === 'application/x-www-form-urlencoded'
  );
}
