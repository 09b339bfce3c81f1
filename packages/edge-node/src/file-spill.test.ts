import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileSpill } from './file-spill.ts';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-file-spill-test-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function bytesOf(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  return Buffer.from(await new Response(stream).arrayBuffer());
}

describe('fileSpill', () => {
  it('writes a body to a file only its user can read, streams it as often as asked, and removes it', async () => {
    const file = await fileSpill({ dir }).create();
    const body = randomBytes(300 * 1024);
    for (let at = 0; at < body.length; at += 100 * 1024) await file.write(body.subarray(at, at + 100 * 1024));
    expect(file.size).toBe(body.length);
    const [name, ...others] = await readdir(dir);
    expect(others).toEqual([]);
    expect((await stat(join(dir, name!))).mode & 0o777).toBe(0o600);
    // One stream per attempt, each from the first byte, even side by side.
    const [first, second] = await Promise.all([bytesOf(file.stream()), bytesOf(file.stream())]);
    expect(first.equals(body)).toBe(true);
    expect(second.equals(body)).toBe(true);
    await file.remove();
    expect(await readdir(dir)).toEqual([]);
    await file.remove();
  });

  it('streams what was written when the stream was made', async () => {
    const file = await fileSpill({ dir }).create();
    await file.write(Buffer.from('hello '));
    const early = file.stream();
    await file.write(Buffer.from('world'));
    expect((await bytesOf(early)).toString()).toBe('hello ');
    expect((await bytesOf(file.stream())).toString()).toBe('hello world');
    await file.remove();
  });

  it('gives each body its own file, and makes a missing folder', async () => {
    const nested = join(dir, 'bodies', 'temp');
    const spill = fileSpill({ dir: nested });
    const files = await Promise.all([spill.create(), spill.create()]);
    expect(await readdir(nested)).toHaveLength(2);
    await Promise.all(files.map((file) => file.remove()));
    expect(await readdir(nested)).toEqual([]);
  });

  it('removes a file someone else deleted already without complaint', async () => {
    const file = await fileSpill({ dir }).create();
    await rm(join(dir, (await readdir(dir))[0]!));
    await expect(file.remove()).resolves.toBeUndefined();
  });
});
