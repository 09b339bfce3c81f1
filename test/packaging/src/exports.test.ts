import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const packages = readdirSync(join(root, 'packages')).map((name) => join(root, 'packages', name));

interface Manifest {
  name: string;
  private?: boolean;
  files?: string[];
  exports: Record<string, string | Record<string, string>>;
}

describe.each(packages)('%s', (dir) => {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;

  it('points every export at a file the build produced', () => {
    for (const [subpath, target] of Object.entries(manifest.exports)) {
      const targets = typeof target === 'string' ? { default: target } : target;
      for (const [condition, file] of Object.entries(targets)) {
        expect(existsSync(join(dir, file)), `${manifest.name} ${subpath} (${condition}) → ${file}`).toBe(true);
      }
    }
  });

  it('publishes its build', () => {
    expect(manifest.files).toContain('dist');
  });
});

it('serves an App from the built packages, as a user who installed them would', async () => {
  // No "source" condition here: Node resolves the packages to dist/.
  const script = `
    import { serve } from '@gatehouse/node';
    import { compose } from '@gatehouse/core';
    const app = compose()({ fetch: (request, env, ctx) => new Response('built ' + ctx.runtime) });
    const server = await serve(app, { port: 0 });
    const text = await (await fetch(server.url)).text();
    await server.close();
    console.log(JSON.stringify({ text, resolved: import.meta.resolve('@gatehouse/node') }));
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    cwd: dirname(fileURLToPath(import.meta.url)),
  });
  const { text, resolved } = JSON.parse(stdout) as { text: string; resolved: string };
  expect(text).toBe('built node');
  expect(resolved).toMatch(/\/packages\/node\/dist\/index\.js$/);
});

it('runs an App on Lambda from the built package', async () => {
  const script = `
    import { handler } from '@gatehouse/lambda';
    const fn = handler({ fetch: (request) => new Response('built ' + new URL(request.url).pathname) });
    const event = { version: '2.0', rawPath: '/hi', rawQueryString: '', headers: { host: 'x.example' },
      requestContext: { http: { method: 'GET', sourceIp: '127.0.0.1' } }, isBase64Encoded: false };
    const result = await fn(event, { getRemainingTimeInMillis: () => 3000 });
    console.log(JSON.stringify({ body: result.body, resolved: import.meta.resolve('@gatehouse/lambda') }));
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    cwd: dirname(fileURLToPath(import.meta.url)),
  });
  const { body, resolved } = JSON.parse(stdout) as { body: string; resolved: string };
  expect(body).toBe('built /hi');
  expect(resolved).toMatch(/\/packages\/lambda\/dist\/index\.js$/);
});
