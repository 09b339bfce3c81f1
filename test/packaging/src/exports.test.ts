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

  it('says what it is: a description, keywords and the MIT licence', () => {
    const meta = manifest as Manifest & { description?: string; keywords?: string[]; license?: string };
    expect(meta.description, manifest.name).toMatch(/\w/);
    expect(meta.keywords?.length ?? 0, manifest.name).toBeGreaterThan(0);
    expect(meta.license, manifest.name).toBe('MIT');
  });

  it('publishes its build', () => {
    expect(manifest.files).toContain('dist');
  });

  it('packs its licence, README, the types of every export and no tests', async () => {
    const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: dir });
    const files = new Set((JSON.parse(stdout) as { files: { path: string }[] }[])[0]!.files.map((file) => file.path));
    expect(files, manifest.name).toContain('LICENSE');
    expect(files, manifest.name).toContain('README.md');
    for (const [subpath, target] of Object.entries(manifest.exports)) {
      if (typeof target === 'string' || target.types === undefined) continue;
      expect(files, `${manifest.name} ${subpath}`).toContain(target.types.replace(/^\.\//, ''));
    }
    // A template's tests are the new project's own, shipped on purpose (create-gatehouse).
    const tests = [...files].filter((file) => /\.test\.ts$|(^|\/)_test-[^/]*\.ts$/.test(file) && !file.startsWith('templates/'));
    expect(tests, manifest.name).toEqual([]);
  });
});

// The packages built before these tests run (this workspace's dependencies), but the Workers adapter.
const workersFree = Object.keys(
  (JSON.parse(readFileSync(join(root, 'test/packaging/package.json'), 'utf8')) as { dependencies: Record<string, string> })
    .dependencies,
)
  .filter((name) => name !== '@gatehouse/cloudflare');

it.each(workersFree)('keeps Workers types out of the declarations of %s', (name) => {
  // A published .d.ts that imports them breaks tsc for every user without them.
  const dir = join(root, 'packages', name.slice('@gatehouse/'.length));
  const declarations = readdirSync(join(dir, 'dist'), { recursive: true, encoding: 'utf8' }).filter((file) =>
    file.endsWith('.d.ts'),
  );
  expect(declarations.length).toBeGreaterThan(0);
  for (const file of declarations) {
    const text = readFileSync(join(dir, 'dist', file), 'utf8');
    expect(text, `${name} dist/${file}`).not.toMatch(/@cloudflare\/workers-types|['"]cloudflare:/);
  }
});

it('serves an App from the built packages, as a user who installed them would', async () => {
  // No "@gatehouse/source" condition here: Node resolves the packages to dist/.
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

it('serves files and proxies through the edge from the built packages', async () => {
  // @gatehouse/edge-node resolves @gatehouse/node and @gatehouse/edge to their dist/ too: one copy of each.
  const script = `
    import { mkdtempSync, writeFileSync } from 'node:fs';
    import { tmpdir } from 'node:os';
    import { join } from 'node:path';
    import { defineEdge } from '@gatehouse/edge-node';
    import { folderAssets } from '@gatehouse/edge-node/assets';
    import { serve } from '@gatehouse/node';
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-built-edge-'));
    writeFileSync(join(dir, 'hello.txt'), 'from a file');
    const origin = await serve({ fetch: (request) => new Response('from the origin ' + new URL(request.url).pathname) }, { port: 0 });
    const edgeApp = defineEdge({
      assets: folderAssets(dir),
      pools: { app: { servers: [origin.url] } },
      routes: { '/': { tryFiles: 'app' } },
    });
    const edge = await serve(edgeApp, { port: 0 });
    const file = await (await fetch(new URL('/hello.txt', edge.url))).text();
    const proxied = await (await fetch(new URL('/api', edge.url))).text();
    await edge.close();
    await origin.close();
    await edgeApp.close();
    console.log(JSON.stringify({ file, proxied, resolved: import.meta.resolve('@gatehouse/edge-node') }));
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    cwd: dirname(fileURLToPath(import.meta.url)),
  });
  const result = JSON.parse(stdout) as { file: string; proxied: string; resolved: string };
  expect(result).toMatchObject({ file: 'from a file', proxied: 'from the origin /api' });
  expect(result.resolved).toMatch(/\/packages\/edge-node\/dist\/index\.js$/);
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

it('gives an App the Worker module shape from the built package (called in Node with a hand-made ctx; workerd runs it in packages/cloudflare)', async () => {
  const script = `
    import { worker } from '@gatehouse/cloudflare';
    const waited = [];
    const ctx = { waitUntil: (p) => void waited.push(p), passThroughOnException() {}, props: { tenant: 'acme' } };
    const app = { fetch: (request, env, ctx) => {
      ctx.waitUntil(Promise.resolve());
      return new Response([ctx.runtime, ctx.clientAddress, ctx.props.tenant, env.GREETING].join(' '));
    } };
    const request = new Request('https://x.example/', { headers: { 'cf-connecting-ip': '192.0.2.1' } });
    const response = await worker(app).fetch(request, { GREETING: 'hi' }, ctx);
    console.log(JSON.stringify({ text: await response.text(), waited: waited.length,
      scheduled: 'scheduled' in worker(app), resolved: import.meta.resolve('@gatehouse/cloudflare') }));
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    cwd: dirname(fileURLToPath(import.meta.url)),
  });
  const result = JSON.parse(stdout) as { text: string; waited: number; scheduled: boolean; resolved: string };
  expect(result).toMatchObject({ text: 'workerd 192.0.2.1 acme hi', waited: 1, scheduled: false });
  expect(result.resolved).toMatch(/\/packages\/cloudflare\/dist\/index\.js$/);
});

it("type-checks a Worker project against the built package's declarations", async () => {
  // fixtures/cloudflare-worker: the global Workers types, skipLibCheck off, no "@gatehouse/source" condition.
  const project = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/cloudflare-worker/tsconfig.json');
  const result = await promisify(execFile)(join(root, 'node_modules/.bin/tsc'), ['-p', project, '--listFiles']).catch(
    (error: { stdout: string }) => ({ stdout: error.stdout, failed: true }),
  );
  expect(result, result.stdout).not.toHaveProperty('failed');
  expect(result.stdout).toMatch(/\/packages\/cloudflare\/dist\/index\.d\.ts$/m);
});
