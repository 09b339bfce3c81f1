// The access log on Node over real sockets: lines in a file, in nginx's
// combined format, and a SIGUSR1 after the file was moved away (what
// logrotate does) sends the next lines to a new file, none lost.
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, expect, it, vi } from 'vitest';
import { defineEdge } from '../define-edge.ts';
import { closeAll, request, start } from '../_test-helpers.ts';
import { accessLogFile } from './access-log-file.ts';

const folder = mkdtempSync(join(tmpdir(), 'gatehouse-access-log-'));
afterEach(closeAll);
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const linesOf = (path: string): string[] => readFileSync(path, 'utf8').split('\n').filter((line) => line !== '');

it('appends a combined line per request, and opens the file again on SIGUSR1', async () => {
  const path = join(folder, 'access.log');
  const log = accessLogFile(path);
  const edge = defineEdge({ accessLog: { write: log.write }, routes: { '/': { respond: 'hello' } } });
  const server = await start(edge);
  expect((await request(server, '/first', 'GET', { 'user-agent': 'test-agent' })).status).toBe(200);
  await vi.waitFor(() => expect(linesOf(path)).toHaveLength(1));
  expect(linesOf(path)[0]).toMatch(/^127\.0\.0\.1 - - \[[^\]]+\] "GET \/first HTTP\/1\.1" 200 5 "-" "test-agent"$/);

  renameSync(path, `${path}.1`);
  process.kill(process.pid, 'SIGUSR1');
  // The signal is handled on a later turn; the new file is there once it was.
  await vi.waitFor(() => expect(existsSync(path)).toBe(true));
  await request(server, '/second');
  await vi.waitFor(() => expect(linesOf(path)).toHaveLength(1));
  expect(linesOf(path)[0]).toContain('"GET /second HTTP/1.1" 200 5');
  expect(linesOf(`${path}.1`)).toHaveLength(1);
  await log.close();
  await edge.close();
});
