import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleFunction } from './bundle.ts';
import { type Emulator, emulate } from './server.ts';
import { type RuntimeApi, startRuntimeApi } from './runtime-api.ts';

const bootstrap = fileURLToPath(new URL('./bootstrap.ts', import.meta.url));
let root: string;
beforeAll(async () => {
  root = await bundleFunction(fileURLToPath(new URL('./_test-function.ts', import.meta.url)), ['source']);
});

/** A function process running `exportName` of the bundle, behind a Runtime API and an HTTP API front door. */
async function startFunction(exportName: string, source: 'http' | 'function-url' = 'http') {
  const api = await startRuntimeApi();
  const child = spawn(process.execPath, ['--conditions=source', bootstrap], {
    env: { ...process.env, AWS_LAMBDA_RUNTIME_API: api.address, _HANDLER: `index.${exportName}`, LAMBDA_TASK_ROOT: root },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const front = await emulate(api, { source, timeout: 5_000 });
  return { api, child, front };
}

async function stop(parts: { api: RuntimeApi; child: ChildProcess; front: Emulator }): Promise<void> {
  parts.child.kill();
  await parts.front.close();
  await parts.api.close();
}

describe('a bundled buffered function behind the Runtime API', () => {
  let fn: Awaited<ReturnType<typeof startFunction>>;
  beforeAll(async () => (fn = await startFunction('handler')));
  afterAll(() => stop(fn));

  it('answers through next → response, cookies kept apart', async () => {
    const response = await fetch(new URL('/hello?name=lambda', fn.front.url));
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('hello lambda');
    expect(response.headers.get('x-runtime')).toBe('api');
    expect(response.headers.getSetCookie()).toEqual(['a=1; Expires=Wed, 21 Oct 2037 07:28:00 GMT', 'b=2']);
  });

  it('takes one invocation at a time, in order', async () => {
    const bodies = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        fetch(fn.front.url, { method: 'POST', body: `body ${i}` }).then((r) => r.text()),
      ),
    );
    expect(bodies).toEqual([0, 1, 2, 3, 4].map((i) => `body ${i}`));
  });

  it('answers 500 when the App throws, through a normal response', async () => {
    const response = await fetch(new URL('/fail', fn.front.url));
    expect(response.status).toBe(500);
    expect(await response.text()).not.toContain('the App failed');
  });
});

describe('a bundled streaming function behind the Runtime API', () => {
  let fn: Awaited<ReturnType<typeof startFunction>>;
  beforeAll(async () => (fn = await startFunction('streaming', 'function-url')));
  afterAll(() => stop(fn));

  it('streams status, headers and cookies first, then the body', async () => {
    const response = await fetch(new URL('/stream', fn.front.url));
    expect(response.status).toBe(200);
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(await response.text()).toBe('part 0;part 1;part 2;');
  });

  it('sends a complete-at-once body with its Content-Length and cookies', async () => {
    const response = await fetch(new URL('/hello?name=stream', fn.front.url));
    expect(response.headers.get('content-length')).toBe('12');
    expect(response.headers.getSetCookie()).toHaveLength(2);
    expect(await response.text()).toBe('hello stream');
  });
});

describe('failures of the function itself', () => {
  it('reports a handler that throws as a function error: the front door answers 502', async () => {
    const fn = await startFunction('broken');
    try {
      const response = await fetch(fn.front.url);
      expect(response.status).toBe(502);
    } finally {
      await stop(fn);
    }
  });

  it('reports a module that cannot be loaded as an init error', async () => {
    writeFileSync(join(root, 'bad.mjs'), 'throw new Error("cannot start");\n');
    const api = await startRuntimeApi();
    const child = spawn(process.execPath, ['--conditions=source', bootstrap], {
      env: { ...process.env, AWS_LAMBDA_RUNTIME_API: api.address, _HANDLER: 'bad.handler', LAMBDA_TASK_ROOT: root },
      stdio: 'ignore',
    });
    try {
      const error = await api.initError;
      expect(error.errorMessage).toBe('cannot start');
    } finally {
      child.kill();
      await api.close();
    }
  });
});
