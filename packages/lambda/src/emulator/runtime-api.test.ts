import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BundledFunction, bundleFunction } from './bundle.ts';
import { type Emulator, emulate } from './server.ts';
import { type RuntimeApi, runtimeApiState, startRuntimeApi } from './runtime-api.ts';
import { until } from './_test-until.ts';
import { isAlive } from '@gatehouse/test-support/processes';

const bootstrap = fileURLToPath(new URL('./bootstrap.ts', import.meta.url));
const entry = fileURLToPath(new URL('./_test-function.ts', import.meta.url));
let bundled: BundledFunction;
let root: string;
beforeAll(async () => {
  bundled = await bundleFunction(entry, { conditions: ['@gatehouse/source'] });
  root = bundled.taskRoot;
});
afterAll(() => bundled.close());

/** A function process running `exportName` of the bundle, behind a Runtime API and an HTTP API front door. */
async function startFunction(exportName: string, source: 'http' | 'function-url' = 'http') {
  const api = await startRuntimeApi();
  const child = spawn(process.execPath, ['--conditions=@gatehouse/source', bootstrap], {
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
    const child = spawn(process.execPath, ['--conditions=@gatehouse/source', bootstrap], {
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

/**
 * `work`, or a failure once `ms` have passed: for what must not wait out the
 * function's 30 s timeout. 12 s tells the two apart with room for a cold
 * start on a loaded machine (5 s was not enough for one, with both cores busy).
 */
function within<T>(work: Promise<T>, ms = 12_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** A request through the front door, its answer read whole. */
async function ask(front: Emulator, path = '/'): Promise<{ status: number; body: string }> {
  const response = await fetch(new URL(path, front.url));
  return { status: response.status, body: await response.text() };
}

/** What the front door says about a function error. */
function functionError(answer: { status: number; body: string }): { status: number; errorType: string; errorMessage: string } {
  const body = JSON.parse(answer.body) as { errorType: string; errorMessage: string };
  return { status: answer.status, errorType: body.errorType, errorMessage: body.errorMessage };
}


describe('a runtime started by hand that cannot load its handler', () => {
  it('answers the first, concurrent and later requests with the init error, without waiting for the timeout', async () => {
    const api = await startRuntimeApi();
    const child = spawn(process.execPath, [bootstrap], {
      env: { ...process.env, AWS_LAMBDA_RUNTIME_API: api.address, _HANDLER: 'missing.handler', LAMBDA_TASK_ROOT: root },
      stdio: 'ignore',
    });
    const exited = once(child, 'exit');
    const front = await emulate(api, { source: 'function-url', timeout: 30_000 });
    try {
      const first = functionError(await within(ask(front)));
      expect(first).toMatchObject({ status: 502, errorType: 'Runtime.ImportModuleError' });
      expect(first.errorMessage).toContain("Cannot find module 'missing'");
      await exited;
      for (const answer of await within(Promise.all([ask(front), ask(front), ask(front)]))) {
        expect(functionError(answer)).toEqual(first);
      }
    } finally {
      child.kill();
      await within(front.close());
      await within(api.close());
    }
  }, 60_000);
});

describe('the runtime the emulator starts and watches', () => {
  it('reports a handler module that cannot be found to every waiting and later request', async () => {
    const api = await startRuntimeApi({ runtime: { taskRoot: root, handler: 'missing.handler', stdio: 'ignore' } });
    const front = await emulate(api, { source: 'function-url', timeout: 30_000 });
    try {
      const answers = await within(Promise.all([ask(front), ask(front), ask(front)]));
      for (const answer of answers) {
        const error = functionError(answer);
        expect(error).toMatchObject({ status: 502, errorType: 'Runtime.ImportModuleError' });
        expect(error.errorMessage).toContain("Cannot find module 'missing'");
      }
      expect(await within(api.initError)).toMatchObject({ errorType: 'Runtime.ImportModuleError' });
      expect(functionError(await within(ask(front)))).toMatchObject({ status: 502, errorType: 'Runtime.ImportModuleError' });
      expect(functionError(await within(ask(front)))).toMatchObject({ status: 502, errorType: 'Runtime.ImportModuleError' });
    } finally {
      await within(front.close());
      await within(api.close());
    }
  }, 60_000);

  it('reports an export that is not there as Runtime.HandlerNotFound', async () => {
    const api = await startRuntimeApi({ runtime: { taskRoot: root, handler: 'index.nothing', stdio: 'ignore' } });
    const front = await emulate(api, { source: 'http', timeout: 30_000 });
    try {
      expect(functionError(await within(ask(front)))).toEqual({
        status: 502,
        errorType: 'Runtime.HandlerNotFound',
        errorMessage: 'index.nothing is undefined or not exported',
      });
    } finally {
      await within(front.close());
      await within(api.close());
    }
  }, 60_000);

  it('reports what a module threw at import, and runs it once fixed: the next request starts a fresh runtime', async () => {
    writeFileSync(join(root, 'throws.mjs'), 'throw new Error("cannot start");\n');
    const api = await startRuntimeApi({ runtime: { taskRoot: root, handler: 'throws.handler', stdio: 'ignore' } });
    const front = await emulate(api, { source: 'http', timeout: 30_000 });
    try {
      expect(functionError(await within(ask(front)))).toEqual({ status: 502, errorType: 'Error', errorMessage: 'cannot start' });
      expect(functionError(await within(ask(front)))).toEqual({ status: 502, errorType: 'Error', errorMessage: 'cannot start' });
      writeFileSync(join(root, 'throws.mjs'), 'export const handler = async () => ({ statusCode: 200, body: "started" });\n');
      expect(await within(ask(front))).toEqual({ status: 200, body: 'started' });
    } finally {
      await within(front.close());
      await within(api.close());
    }
  }, 60_000);

  it('fails what waits for a runtime that exits during its init with Runtime.ExitError', async () => {
    writeFileSync(join(root, 'exits.mjs'), 'process.exit(2);\n');
    const api = await startRuntimeApi({ runtime: { taskRoot: root, handler: 'exits.handler' } });
    const front = await emulate(api, { source: 'http', timeout: 30_000 });
    try {
      for (const answer of await within(Promise.all([ask(front), ask(front)]))) {
        const error = functionError(answer);
        expect(error).toMatchObject({ status: 502, errorType: 'Runtime.ExitError' });
        expect(error.errorMessage).toContain('Runtime exited with error: exit status 2');
      }
      expect(functionError(await within(ask(front)))).toMatchObject({ status: 502, errorType: 'Runtime.ExitError' });
    } finally {
      await within(front.close());
      await within(api.close());
    }
  }, 60_000);

  it('fails an invocation whose runtime exits with Runtime.ExitError at once, and serves the rest from a fresh runtime', async () => {
    const api = await startRuntimeApi({ runtime: { taskRoot: root, handler: 'index.handler' } });
    const front = await emulate(api, { source: 'http', timeout: 30_000 });
    try {
      const first = await within(ask(front, '/pid'));
      expect(first.status).toBe(200);
      const crashed = functionError(await within(ask(front, '/crash')));
      expect(crashed).toMatchObject({ status: 502, errorType: 'Runtime.ExitError' });
      expect(crashed.errorMessage).toContain('Runtime exited with error: exit status 3');
      expect(isAlive(Number(first.body))).toBe(false);
      // A request queued behind a crash is not lost with it.
      const [again, behind] = await within(Promise.all([ask(front, '/crash'), ask(front, '/pid')]));
      expect(functionError(again)).toMatchObject({ status: 502, errorType: 'Runtime.ExitError' });
      expect(behind.status).toBe(200);
      const later = await within(ask(front, '/pid'));
      expect(later.status).toBe(200);
      expect(later.body).not.toBe(first.body);
    } finally {
      await within(front.close());
      await within(api.close());
    }
  }, 60_000);

  it('starts a fresh runtime after an invocation times out, as Lambda resets the environment', async () => {
    // No watchdog of its own (the Gatehouse handler answers 504 before the deadline): only Lambda ends it.
    writeFileSync(
      join(root, 'stuck.mjs'),
      'export const handler = async (event) => event.rawPath === "/hang" ? new Promise(() => setInterval(() => {}, 1000)) : { statusCode: 200, body: String(process.pid) };\n',
    );
    const api = await startRuntimeApi({ runtime: { taskRoot: root, handler: 'stuck.handler' } });
    const front = await emulate(api, { source: 'http', timeout: 500 });
    try {
      const { body: pid } = await within(ask(front, '/pid'));
      expect(functionError(await within(ask(front, '/hang')))).toMatchObject({ status: 502, errorType: 'Sandbox.Timedout' });
      const later = await within(ask(front, '/pid'));
      expect(later.status).toBe(200);
      expect(later.body).not.toBe(pid);
    } finally {
      await within(front.close());
      await within(api.close());
    }
  }, 60_000);

  it("counts the function's timeout from when the runtime takes the event: a slow cold start is not the function's time", async () => {
    writeFileSync(
      join(root, 'slowinit.mjs'),
      'await new Promise((resolve) => setTimeout(resolve, 1000));\nexport const handler = async () => ({ statusCode: 200, body: "started" });\n',
    );
    const api = await startRuntimeApi({ runtime: { taskRoot: root, handler: 'slowinit.handler' } });
    const front = await emulate(api, { source: 'http', timeout: 500 });
    try {
      expect(await within(ask(front, '/'))).toMatchObject({ status: 200, body: 'started' });
    } finally {
      await within(front.close());
      await within(api.close());
    }
  }, 60_000);

  it('closes without waiting for requests that can no longer be answered, and stops the runtime', async ({ signal }) => {
    const api = await startRuntimeApi({ runtime: { taskRoot: root, handler: 'index.handler' } });
    const front = await emulate(api, { source: 'http', timeout: 30_000 });
    const { body: pid } = await within(ask(front, '/pid'));
    const hanging = [ask(front, '/hang'), ask(front, '/hang')].map((answer) => answer.catch(() => 'cut'));
    // Closed before they arrive, the requests would be refused and prove nothing: wait until one runs and one queues behind it.
    await until(() => {
      const { running, queued } = runtimeApiState(api);
      return running === 1 && queued === 1;
    }, signal);
    await within(front.close());
    await within(api.close());
    expect(await within(Promise.all(hanging))).toEqual(['cut', 'cut']);
    expect(isAlive(Number(pid))).toBe(false);
  }, 60_000);
});

describe('the Runtime API with no runtime at all', () => {
  it('closes at once, ending what waits for one', async () => {
    const api = await startRuntimeApi();
    const outcome = api.invoke({ n: 1 }, { timeout: 30_000 });
    await within(api.close());
    expect(await within(outcome)).toMatchObject({ type: 'error' });
  }, 60_000);
});

describe('bundleFunction', () => {
  it('writes where it says, under the handler name given, and removes its folder on close', async () => {
    const bundle = await bundleFunction(entry, { conditions: ['@gatehouse/source'], handler: 'app.streaming' });
    try {
      expect(bundle.handler).toBe('app.streaming');
      expect(bundle.file).toBe(join(bundle.taskRoot, 'app.mjs'));
      expect(readFileSync(bundle.file, 'utf8')).toContain('streaming');
    } finally {
      await bundle.close();
    }
    expect(existsSync(bundle.taskRoot)).toBe(false);
  });

  it('takes an export name alone, in index.mjs', async () => {
    const bundle = await bundleFunction(entry, { conditions: ['@gatehouse/source'], handler: 'streaming' });
    try {
      expect(bundle.handler).toBe('index.streaming');
      expect(bundle.file).toBe(join(bundle.taskRoot, 'index.mjs'));
      const api = await startRuntimeApi({ runtime: bundle });
      const front = await emulate(api, { source: 'function-url' });
      try {
        expect(await within(ask(front, '/stream'))).toEqual({ status: 200, body: 'part 0;part 1;part 2;' });
      } finally {
        await within(front.close());
        await within(api.close());
      }
    } finally {
      await bundle.close();
    }
  }, 60_000);

  it('defaults to index.handler', async () => {
    await using bundle = await bundleFunction(entry, { conditions: ['@gatehouse/source'] });
    expect(bundle.handler).toBe('index.handler');
    expect(existsSync(join(bundle.taskRoot, 'index.mjs'))).toBe(true);
  });
});
