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

// Text by type: text/*, JSON and XML (with their +json/+xml kin), scripts,
// form data, GraphQL, NDJSON and SVG.
const TEXT_TYPE =
  /^(?:text\/[^;]*|application\/(?:json|xml|javascript|ecmascript|x-www-form-urlencoded|graphql|x-ndjson)|[^;]*\+(?:json|xml)|image\/svg\+xml)\s*(?:;|$)/;

function isTextType(type: string): boolean {
  return TEXT_TYPE.test(type);
}
