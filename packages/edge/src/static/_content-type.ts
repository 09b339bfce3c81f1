import { lookup } from 'mrmime';

const OCTET_STREAM = 'application/octet-stream';

/** The extension of a store path's last segment, lower-cased: `''` for `/README` or `/.env`. */
export function extensionOf(path: string): string {
  const slash = path.lastIndexOf('/');
  const dot = path.lastIndexOf('.');
  return dot > slash + 1 ? path.slice(dot + 1).toLowerCase() : '';
}

/**
 * Media types by extension, `charset=utf-8` added to text, remembered per
 * extension: `overrides` first (nginx's `types {}`), then mrmime.
 */
export function contentTypes(overrides: Readonly<Record<string, string>> = {}): (path: string) => string {
  const known = new Map<string, string>();
  for (const [extension, type] of Object.entries(overrides)) known.set(extension.toLowerCase().replace(/^\./, ''), type);
  const cache = new Map<string, string>();
  return (path) => {
    const extension = extensionOf(path);
    let type = cache.get(extension);
    if (type === undefined) {
      type = known.get(extension) ?? withCharset((extension === '' ? undefined : lookup(extension)) ?? OCTET_STREAM);
      // Extensions come from requests: remember a bounded number of them.
      if (cache.size < 1024) cache.set(extension, type);
    }
    return type;
  };
}

/** Add `charset=utf-8` to textual types that carry none. */
export function withCharset(type: string): string {
  if (type.includes(';')) return type;
  return isText(type) ? `${type}; charset=utf-8` : type;
}

function isText(type: string): boolean {
  return (
    type.startsWith('text/') ||
    type === 'application/javascript' ||
    type === 'application/json' ||
    type === 'application/xml' ||
    type.endsWith('+json') ||
    type.endsWith('+xml')
  );
}

/**
 * Whether a precompressed sidecar is worth looking for: text, scripts,
 * data formats, SVG, WebAssembly and uncompressed fonts. Images, media,
 * archives and woff/woff2 are compressed already.
 */
export function isCompressible(type: string): boolean {
  const semicolon = type.indexOf(';');
  const bare = (semicolon === -1 ? type : type.slice(0, semicolon)).trim().toLowerCase();
  return (
    isText(bare) ||
    bare === 'image/svg+xml' ||
    bare === 'image/x-icon' ||
    bare === 'image/vnd.microsoft.icon' ||
    bare === 'image/bmp' ||
    bare === 'application/wasm' ||
    bare === 'application/x-javascript' ||
    bare === 'application/vnd.ms-fontobject' ||
    bare === 'font/ttf' ||
    bare === 'font/otf' ||
    bare === 'application/rtf' ||
    bare === 'application/x-sh'
  );
}
