import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Lint `source` as if it were `path` in this repository, with the repository's own config. */
function lintAs(path: string, source: string): Promise<{ code: number; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-lint-'));
  copyFileSync(join(root, '.oxlintrc.json'), join(dir, '.oxlintrc.json'));
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), source);
  return new Promise((resolve) => {
    execFile(join(root, 'node_modules/.bin/oxlint'), ['-c', join(dir, '.oxlintrc.json'), dir], (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, output: stdout + stderr }),
    );
  });
}

const imports = [
  "import { readFile } from 'node:fs';",
  "import { env } from 'cloudflare:workers';",
  "import type { Context } from 'aws-lambda';",
  "import { S3Client } from '@aws-sdk/client-s3';",
];

it.each(imports)('refuses %j in core and edge', async (line) => {
  for (const path of ['packages/core/src/probe.ts', 'packages/edge/src/probe.ts']) {
    const { code, output } = await lintAs(path, `${line}\nexport const probe = 1;\n`);
    expect(code, output).not.toBe(0);
    expect(output).toContain('no-restricted-imports');
  }
});

it('allows runtime imports in an adapter', async () => {
  const { code, output } = await lintAs(
    'packages/node/src/probe.ts',
    "import { readFile } from 'node:fs';\nexport const probe = readFile;\n",
  );
  expect(code, output).toBe(0);
});

it.each([
  "import { readFile } from 'node:fs';",
  "import { join } from 'path';",
  "import { Buffer } from 'buffer';",
  "import type { Context } from 'aws-lambda';",
])('refuses %j in the Workers adapter', async (line) => {
  const { code, output } = await lintAs('packages/cloudflare/src/probe.ts', `${line}\nexport const probe = 1;\n`);
  expect(code, output).not.toBe(0);
  expect(output).toContain('no-restricted-imports');
});

it('allows cloudflare:* and the Workers types in the Workers adapter', async () => {
  const { code, output } = await lintAs(
    'packages/cloudflare/src/probe.ts',
    "import { env } from 'cloudflare:workers';\nimport type { ExecutionContext } from '@cloudflare/workers-types';\n" +
      'export const probe = env;\nexport type Probe = ExecutionContext;\n',
  );
  expect(code, output).toBe(0);
});
