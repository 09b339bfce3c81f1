/**
 * Whether a response body must go back to Lambda base64-encoded. Text goes
 * as text; everything else, and every compressed body whatever its type
 * (gzip of JSON is not JSON), as base64. Replace it with the `isBinary`
 * option of `handler`.
 */
export function isBinaryBody(headers: Headers): boolean {
  const encoding = headers.get('content-encoding');
  if (encoding !== null && encoding.trim().toLowerCase() !== 'identity') return true;
  const type = headers.get('content-type');
  if (type === null) return false;
  return !isTextType(type.toLowerCase());
}

function isTextType(type: string): boolean {
  if (type.startsWith('text/')) return true;
  const essence = type.split(';', 1)[0]!.trim();
  return (
    essence === 'application/json' ||
    essence.endsWith('+json') ||
    essence.endsWith('+xml') ||
    essence === 'application/xml' ||
    essence === 'application/javascript' ||
    essence === 'application/ecmascript' ||
    essence === 'application/x-www-form-urlencoded' ||
    essence === 'application/graphql' ||
    essence === 'application/x-ndjson' ||
    essence === 'image/svg+xml'
  );
}
