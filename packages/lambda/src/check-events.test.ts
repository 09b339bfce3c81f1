// The events check (scripts/check-events.ts) as a user runs it: over the
// package's own fixtures by default, and failing on an event the handler
// cannot turn into a request.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, it, vi } from 'vitest';

// Each test starts a Node process, which a busy machine can take seconds to do.
vi.setConfig({ testTimeout: 30_000 });

const script = fileURLToPath(new URL('../scripts/check-events.ts', import.meta.url));
const folder = mkdtempSync(join(tmpdir(), 'gatehouse-check-events-'));

afterAll(() => rmSync(folder, { recursive: true, force: true }));

async function check(...args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=@gatehouse/source', script, ...args]);
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, stdout: failed.stdout };
  }
}

it('serves every HTTP event of the fixtures to the App and skips the schedules', async () => {
  const { code, stdout } = await check();
  expect(code).toBe(0);
  expect(stdout).toMatch(/^9 HTTP events from .*test\/fixtures, 0 failed$/m);
  for (const source of ['rest', 'http', 'alb', 'lattice-v1', 'lattice-v2']) expect(stdout).toContain(`(${source})`);
  expect(stdout).toContain('eventbridge-schedule.json  skipped: no HTTP event');
  expect(stdout).toContain('200 rest.json (rest)  POST https://abcdef123.execute-api.us-east-1.amazonaws.com/users/42?tag=a&tag=b&q=a%26b%3Dc');
});

it('fails on an event that cannot become a request, and on a folder without one', async () => {
  writeFileSync(join(folder, 'bad-field-name.json'), JSON.stringify({ requestContext: { http: { method: 'GET' } }, rawPath: '/x', headers: { 'bad name': 'v' } }));
  const bad = await check(folder);
  expect(bad.code).toBe(1);
  expect(bad.stdout).toContain('400 bad-field-name.json (http)');
  const empty = await check(join(folder, 'missing'));
  expect(empty.code).toBe(2);
});
