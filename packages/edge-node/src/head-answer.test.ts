import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync } from 'node:zlib';
import { ANSWER_HEAD } from '@gatehouse/core';
import { defineEdge } from '@gatehouse/edge';
import type { NodeServer } from '@gatehouse/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, request as get, start } from './_test-helpers.ts';
import { folderAssets } from './assets/index.ts';


let dir: string;
let fast: NodeServer;
let full: NodeServer;
let answered = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-head-answer-'));
  mkdirSync(join(dir, 'static', 'docs'), { recursive: true });
  writeFileSync(join(dir, 'static', 'style.css'), 'body { color: red }\n'.repeat(20));
  writeFileSync(join(dir, 'static', 'app.js'), 'console.log(1)\n'.repeat(50));
  writeFileSync(join(dir, 'static', 'app.js.br'), brotliCompressSync('console.log(1)\n'.repeat(50)));
  writeFileSync(join(dir, 'static', 'empty.txt'), '');
  writeFileSync(join(dir, 'static', 'big.bin'), Buffer.alloc(4096, 7));
  writeFileSync(join(dir, 'static', 'docs', 'index.html'), '<h1>docs</h1>');
  const edge = defineEdge({
    // Files up to 1 KiB in memory; big.bin streams from the disk.
    assets: folderAssets(dir, { maxFileSize: 1024 }),
    routes: { '^~ /static/': { static: true }, '/': { respond: 'app' } },
  });
  // The same edge twice: as it is, and as a plain App without the head answers.
  fast = await start({
    fetch: edge.fetch,
    [ANSWER_HEAD]: (...args: Parameters<(typeof edge)[typeof ANSWER_HEAD]>) => {
      const answer = edge[ANSWER_HEAD](...args);
      if (answer !== undefined) answered++;
      return answer;
    },
  } as never);
  full = await start({ fetch: edge.fetch });
});

afterAll(async () => {
  await closeAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('answers made from the request head', () => {
  it('are exactly what the Request path answers, for the cases they take', async () => {
    const etag = (await get(full, '/static/style.css')).headers.etag as string;
    const cases: [string, string, Record<string, string>][] = [
      ['GET', '/static/style.css', {}],
      ['HEAD', '/static/style.css', {}],
      ['GET', '/static/style.css?v=2', {}],
      ['GET', '/static/style.css', { 'if-none-match': etag }],
      ['GET', '/static/style.css', { 'if-none-match': '"other"' }],
      ['GET', '/static/style.css', { 'if-modified-since': 'Fri, 01 Jan 2100 00:00:00 GMT' }],
      ['GET', '/static/empty.txt', {}],
    ];
    for (const [method, path, headers] of cases) {
      const before = answered;
      const expected = await get(full, path, method, headers);
      expect(await get(fast, path, method, headers), `${method} ${path} ${JSON.stringify(headers)}`).toEqual(expected);
      expect(answered, `${method} ${path} was answered from the head`).toBe(before + 1);
    }
  });

  it('leave the rest to the Request path, which answers as before', async () => {
    const cases: [string, string, Record<string, string>][] = [
      ['GET', '/static/style.css', { range: 'bytes=0-3' }],
      ['GET', '/static/style.css', { 'if-match': '"other"' }],
      ['GET', '/static/app.js', { 'accept-encoding': 'br' }],
      ['GET', '/static/app.js', {}],
      ['GET', '/static/big.bin', {}],
      ['GET', '/static/missing.txt', {}],
      ['GET', '/static/docs/', {}],
      ['GET', '/static/docs', {}],
      ['GET', '/static/%73tyle.css', {}],
      ['GET', '/static/./style.css', {}],
      ['GET', '/static/../static/style.css', {}],
      ['GET', '/elsewhere', {}],
      ['POST', '/static/style.css', {}],
    ];
    for (const [method, path, headers] of cases) {
      const before = answered;
      const expected = await get(full, path, method, headers);
      expect(await get(fast, path, method, headers), `${method} ${path} ${JSON.stringify(headers)}`).toEqual(expected);
      expect(answered, `${method} ${path} went the Request path`).toBe(before);
    }
  });

  it('see a file change as the Request path does', async () => {
    writeFileSync(join(dir, 'static', 'changing.txt'), 'one');
    expect((await get(fast, '/static/changing.txt')).body).toBe('one');
    writeFileSync(join(dir, 'static', 'changing.txt'), 'two!');
    // The store trusts what it saw for a second (revalidate), on both paths alike.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await get(fast, '/static/changing.txt')).toEqual(await get(full, '/static/changing.txt'));
    expect((await get(fast, '/static/changing.txt')).body).toBe('two!');
  });
});
