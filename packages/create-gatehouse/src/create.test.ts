// create-gatehouse as a person or a script runs it: a real process, real
// files, a pseudo-terminal for the prompts (util-linux `script`).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { TEMPLATES } from './templates.ts';

vi.setConfig({ testTimeout: 30_000 });

const BIN = fileURLToPath(new URL('./bin.ts', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'create-gatehouse-'));
let cwd: string;
let counter = 0;
beforeEach(() => {
  cwd = join(root, String(counter++));
  mkdirSync(cwd);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Run create-gatehouse with no terminal: stdin is /dev/null. A prompt there
 * would never settle, so the run is bounded: a hang fails the test.
 */
function create(args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { ...process.env, CI: '', npm_config_user_agent: 'npm/11.19.1 node/v26.10.0 linux x64', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`create-gatehouse ${args.join(' ')} waited for input without a terminal:\n${stdout}${stderr}`));
    }, 20_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Every file under `folder`, relative, sorted. */
function filesIn(folder: string): string[] {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(folder.length + 1))
    .sort();
}

describe('without a terminal it never waits', () => {
  it('with no folder and no --yes it says which flags to give, at once', async () => {
    const result = await create([]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('create-gatehouse: no terminal to ask in: give the folder (and --template), or --yes for the defaults\n');
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('with a folder but no template it names --template and the choices', async () => {
    const result = await create(['site']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/give --template \(edge-node, edge-lambda, worker, node\), or --yes/);
    expect(existsSync(join(cwd, 'site'))).toBe(false);
  });

  it('--yes takes every default: gatehouse-app, the edge + Node template', async () => {
    const result = await create(['--yes', '--no-install', '--no-git']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Created gatehouse-app in gatehouse-app from the edge-node template');
    expect(existsSync(join(cwd, 'gatehouse-app/src/edge.ts'))).toBe(true);
  });
});

describe('the templates', () => {
  for (const { id } of TEMPLATES) {
    it(`${id}: every placeholder filled, .gitignore named as git wants it, a README with the two commands`, async () => {
      const result = await create([`my-${id}`, '--template', id, '--no-install', '--no-git']);
      expect(result.code, result.stderr).toBe(0);
      const project = join(cwd, `my-${id}`);
      const files = filesIn(project);
      expect(files).toContain('.gitignore');
      expect(files).not.toContain('_gitignore');
      for (const file of files) expect(readFileSync(join(project, file), 'utf8'), file).not.toMatch(/\{\{\w+\}\}/);
      const manifest = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as { name: string; scripts: Record<string, string>; dependencies: Record<string, string> };
      expect(manifest.name).toBe(`my-${id}`);
      expect(Object.keys(manifest.scripts)).toEqual(expect.arrayContaining(['dev', 'test', 'typecheck']));
      expect(Object.entries(manifest.dependencies).filter(([name]) => name.startsWith('@gatehouse/')).every(([, range]) => range === '^0.1.0')).toBe(true);
      const readme = readFileSync(join(project, 'README.md'), 'utf8');
      expect(readme).toMatch(new RegExp(`^# my-${id}\\n`));
      expect(readme).toContain('npm run dev');
      expect(readme).toContain('npm run test');
    });
  }

  it("Worker templates' compatibility_date is one the pinned wrangler's workerd (1.20261102) knows", async () => {
    // A later date than the bundled workerd's fails the first `dev` (workers-sdk#14942).
    for (const id of ['edge-node', 'edge-lambda', 'worker']) {
      await create([id, '--template', id, '--no-install', '--no-git']);
      const date = /^compatibility_date = "(\d{4}-\d{2}-\d{2})"$/m.exec(readFileSync(join(cwd, id, 'wrangler.toml'), 'utf8'))?.[1];
      expect(date, id).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(date! <= '2026-11-02', `${id}: ${date}`).toBe(true);
    }
  });

  it('Node-origin templates carry a Dockerfile and a systemd unit', async () => {
    for (const id of ['edge-node', 'node']) {
      await create([id, '--template', id, '--no-install', '--no-git']);
      expect(readFileSync(join(cwd, id, 'Dockerfile'), 'utf8')).toContain('gatehouse", "start"');
      expect(readFileSync(join(cwd, id, 'deploy/gatehouse.service'), 'utf8')).toMatch(/^ExecReload=\/bin\/kill -s HUP \$MAINPID$/m);
    }
  });
});

describe('the folder', () => {
  it('"." is the current folder, named after it', async () => {
    const result = await create(['.', '--template', 'node', '--no-install', '--no-git']);
    expect(result.code).toBe(0);
    expect((JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8')) as { name: string }).name).toBe(`${counter - 1}`);
    expect(result.stdout).not.toMatch(/^\s+cd /m);
  });

  it('a folder that is not empty needs --force, and says what is in it', async () => {
    mkdirSync(join(cwd, 'taken'));
    writeFileSync(join(cwd, 'taken/notes.txt'), 'mine');
    writeFileSync(join(cwd, 'taken/README.md'), 'a fresh folder may hold one');
    const refused = await create(['taken', '--template', 'node', '--no-install', '--no-git']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('create-gatehouse: taken is not empty (notes.txt): choose another folder, or --force to create the project in it\n');
    expect(readdirSync(join(cwd, 'taken')).sort()).toEqual(['README.md', 'notes.txt']);
    const forced = await create(['taken', '--template', 'node', '--no-install', '--no-git', '--force']);
    expect(forced.code).toBe(0);
    expect(readFileSync(join(cwd, 'taken/notes.txt'), 'utf8')).toBe('mine');
    expect(existsSync(join(cwd, 'taken/src/app.ts'))).toBe(true);
  });

  it('a name npm would refuse becomes one it takes', async () => {
    await create(['My Site!', '--template', 'node', '--no-install', '--no-git']);
    expect((JSON.parse(readFileSync(join(cwd, 'My Site!/package.json'), 'utf8')) as { name: string }).name).toBe('my-site');
  });
});

describe('flags', () => {
  it('a template that does not exist is a usage error listing those that do', async () => {
    const result = await create(['x', '--template', 'edge-nod']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^create-gatehouse: --template wants one of edge-node, edge-lambda, worker, node, not "edge-nod"\n/);
  });

  it('an unknown option is a usage error', async () => {
    const result = await create(['x', '--templat', 'node']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^create-gatehouse: Unknown option '--templat'/);
  });

  it('the package manager that ran it writes the next steps', async () => {
    const result = await create(['p', '--template', 'node', '--no-install', '--no-git'], { npm_config_user_agent: 'pnpm/10.4.1 npm/? node/v26.10.0 linux x64' });
    expect(result.stdout).toMatch(/pnpm install\n\s+pnpm dev\s+# run it\n\s+pnpm test\s+# test it/);
    expect(readFileSync(join(cwd, 'p/README.md'), 'utf8')).toContain('pnpm dev');
  });

  it('--pm overrides it', async () => {
    const result = await create(['b', '--template', 'node', '--no-install', '--no-git', '--pm', 'bun']);
    expect(result.stdout).toContain('bun run dev');
  });

  it('--git makes a repository with one commit', async () => {
    const gitConfig = join(cwd, 'gitconfig');
    writeFileSync(gitConfig, '[user]\n\temail = test@example.com\n\tname = Test\n');
    const result = await create(['g', '--template', 'node', '--no-install'], { GIT_CONFIG_GLOBAL: gitConfig });
    expect(result.code).toBe(0);
    const log = spawnSync('git', ['log', '--oneline'], { cwd: join(cwd, 'g'), encoding: 'utf8' });
    expect(log.stdout.trim().split('\n')).toHaveLength(1);
    expect(spawnSync('git', ['status', '--porcelain'], { cwd: join(cwd, 'g'), encoding: 'utf8' }).stdout).toBe('');
  });
});

describe('in a terminal it asks', () => {
  /** Run in a pseudo-terminal (`script`), answering each prompt that appears with its keys. */
  function inTerminal(args: string[], answers: { after: RegExp; keys: string }[]): Promise<Result> {
    return new Promise((resolve, reject) => {
      // A terminal of a usual size: a pseudo-terminal starts with 0 columns, and every character would wrap.
      const command = `stty cols 100 rows 30; ${[process.execPath, BIN, ...args].map((part) => `'${part}'`).join(' ')}`;
      const child = spawn('script', ['-qefc', command, '/dev/null'], {
        cwd,
        env: { ...process.env, CI: '', TERM: 'xterm-256color', npm_config_user_agent: 'npm/11.19.1 node/v26.10.0 linux x64' },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let screen = '';
      let seen = 0;
      let next = 0;
      child.stdout.on('data', (chunk: Buffer) => {
        screen += chunk;
        const plain = stripVTControlCharacters(screen);
        const answer = answers[next];
        if (answer !== undefined && answer.after.test(plain.slice(seen))) {
          seen = plain.length;
          next++;
          child.stdin.write(answer.keys);
        }
      });
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`stuck after ${next} answers:\n${stripVTControlCharacters(screen)}`));
      }, 20_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout: stripVTControlCharacters(screen), stderr: '' });
      });
    });
  }

  it('generates the template chosen with the arrow keys', async () => {
    const result = await inTerminal([], [
      { after: /Where should the project go\?/, keys: 'typed-app\r' },
      // Down once: the second template, edge + Lambda.
      { after: /Which project\?/, keys: '\u001b[B\r' },
      { after: /Which package manager\?/, keys: '\r' },
      { after: /Install the dependencies with npm\?/, keys: 'n' },
      { after: /Make it a git repository\?/, keys: 'n' },
    ]);
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toContain('from the edge-lambda template');
    expect(existsSync(join(cwd, 'typed-app/src/handler.ts'))).toBe(true);
  });

  it('Ctrl+C cancels with 130 and writes nothing', async () => {
    const result = await inTerminal([], [
      { after: /Where should the project go\?/, keys: 'half\r' },
      { after: /Which project\?/, keys: '\u0003' },
    ]);
    expect(result.code).toBe(130);
    expect(result.stdout).toContain('Cancelled: nothing was written.');
    expect(readdirSync(cwd)).toEqual([]);
  });
});
