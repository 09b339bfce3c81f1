import { describe, expect, it } from 'vitest';
import { defaultCacheControl, hasContentHash } from './cache-control.ts';

const hashed = [
  '/app.3f2a9c1b.js', // webpack, Parcel: hex
  '/static/js/main.7e2c49a622975ebd9b7e.js',
  '/main.7f2a1c3d4e5b6a7c.js.map',
  '/_next/static/chunks/pages/_app-f0a9b2c3d4e5f6a7.js',
  '/chunk-5D3KQ2ZC.js', // esbuild: base32
  '/assets/index-B6zL4Zr9.js', // Rollup, Vite: base64url
  '/assets/index-BPvgi06w.css',
  '/_astro/index.Cx3Fq9rT.css',
  '/fonts/inter.a1b2c3d4.woff2',
];

const plain = [
  '/index.html',
  '/app.js',
  '/jquery-3.7.1.min.js',
  '/bootstrap.bundle.js',
  '/my-component.js',
  '/MyWidget-Something.js',
  '/lib-MyWidget.js', // CamelCase words, not a hash
  '/icon-1024x1024.png', // dimensions
  '/banner-summer2024.jpg', // a word with a number
  '/report-20240101.pdf', // a date
  '/logo.deadbeef.svg', // hex letters without a digit
  '/page-3f2a9c1b.html', // HTML is never immutable
  '/chunk-ABCDEFGH.js', // upper case without a digit
  '/vendors.js',
  '/favicon.ico',
  '/3f2a9c1b.js', // no name before the hash
];

describe('hasContentHash', () => {
  it.each(hashed)('sees the hash in %s', (path) => {
    expect(hasContentHash(path)).toBe(true);
    expect(defaultCacheControl(path)).toBe('public, max-age=31536000, immutable');
  });

  it.each(plain)('sees none in %s', (path) => {
    expect(hasContentHash(path)).toBe(false);
    expect(defaultCacheControl(path)).toBe('public, max-age=0, must-revalidate');
  });
});
