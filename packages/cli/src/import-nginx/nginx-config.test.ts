import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { type Directive, NginxSyntaxError, readNginxConfig } from './nginx-config.ts';

const SITE = fileURLToPath(new URL('../../test/nginx/site.conf', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'gatehouse-nginx-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const find = (directives: readonly Directive[], name: string, ...args: string[]): Directive =>
  directives.find((directive) => directive.name === name && args.every((arg, i) => directive.args[i] === arg))!;

it('reads directives, blocks, quotes, regexes and comments, each with its file and line', () => {
  const config = readNginxConfig(SITE);
  expect(config.map((directive) => directive.name)).toEqual(['worker_processes', 'events', 'http']);
  const http = find(config, 'http').block!;
  const upstream = find(http, 'upstream', 'app_server');
  expect(upstream.comments).toEqual(['The app servers; the last one only when the others are down.']);
  expect(upstream.block!.map((server) => server.args)).toEqual([['127.0.0.1:8000', 'fail_timeout=0'], ['127.0.0.1:8001', 'backup']]);
  const server = find(http, 'server').block!;
  expect(find(server, 'server_name').args).toEqual(['example.com', 'www.example.com']);
  // A quoted regex may hold braces; its quotes are gone, its backslashes kept.
  const media = find(server, 'location', '~*');
  expect(media.args).toEqual(['~*', '^/media/(\\d{4})/']);
  expect(media.line).toBe(28);
  const proxy = find(server, 'location', '@proxy_to_app').block!;
  expect(find(proxy, 'add_header').args).toEqual(['X-Note', 'semi;colon "and quotes"']);
  expect(find(proxy, 'proxy_set_header', 'X-Forwarded-For').args[1]).toBe('$proxy_add_x_forwarded_for');
  expect(find(config, 'events').block!.map((directive) => [directive.name, directive.args])).toEqual([['worker_connections', ['1024']]]);
});

it('follows include, globs too, relative to the main file, each directive keeping its own file', () => {
  const http = find(readNginxConfig(SITE), 'http').block!;
  expect(http.slice(0, 2).map((directive) => directive.name)).toEqual(['types', 'gzip']);
  expect(http[0]!.file).toBe(join(SITE, '../mime.types'));
  expect(http[1]!.file).toBe(join(SITE, '../conf.d/gzip.conf'));
  expect(http[1]!.comments).toEqual(['gzip for text']);
});

it('refuses what nginx refuses, naming the file and line', () => {
  const cases: [string, RegExp][] = [
    ['server {\n  listen 80;\n', /:1: unexpected end of file, expecting "}"$/],
    ['listen 80\n}', /:2: unexpected "}" after listen, expecting ";"$/],
    ['}\n', /:1: unexpected "}"$/],
    ['add_header X "unterminated;\n', /:1: unexpected end of file, expecting "$/],
  ];
  for (const [text, message] of cases) {
    const file = join(scratch, 'bad.conf');
    writeFileSync(file, text);
    expect(() => readNginxConfig(file)).toThrow(NginxSyntaxError);
    expect(() => readNginxConfig(file)).toThrow(message);
  }
});
