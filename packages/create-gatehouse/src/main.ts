import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { basename, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as prompts from '@clack/prompts';
import { initRepository } from './git.ts';
import { invokingPackageManager, PACKAGE_MANAGERS, type PackageManager, runScript } from './package-manager.ts';
import { conflictsIn } from './target-folder.ts';
import { copyTemplate, packageName, TEMPLATES, VERSION } from './templates.ts';

const HELP = `Usage: npm create gatehouse@latest [folder] -- [options]

Starts a Gatehouse project in [folder] ("." for the current one). Without a
terminal (CI, scripts) it never asks: give the folder and --template, or
--yes for every default.

Options:
  -t, --template <id>   ${TEMPLATES.map((template) => template.id).join(', ')} (default: edge-node)
${TEMPLATES.map((template) => `                          ${template.id.padEnd(12)}${template.title}: ${template.hint}`).join('\n')}
      --pm <name>       ${PACKAGE_MANAGERS.join(', ')} (default: the one running this, from npm_config_user_agent)
      --install         install the dependencies (the default)
      --no-install      do not
      --git             make a git repository with a first commit (the default)
      --no-git          do not
  -y, --yes             take the default for everything not given (folder: gatehouse-app)
      --force           create the project in a folder that is not empty
  -h, --help            this help
  -v, --version         print the version
`;

/** Exit codes: 0 done, 1 failed, 2 a usage error, 130 cancelled. */
const CANCELLED = 130;

class UsageError extends Error {}

interface Choices {
  folder: string | undefined;
  template: string | undefined;
  pm: PackageManager | undefined;
  install: boolean | undefined;
  git: boolean | undefined;
  yes: boolean;
  force: boolean;
}

/** `create-gatehouse` with `args`; resolves with the exit code. */
export async function main(args: readonly string[]): Promise<number> {
  let choices: Choices;
  try {
    const parsed = parse(args);
    if (parsed === 'help') {
      process.stdout.write(HELP);
      return 0;
    }
    if (parsed === 'version') {
      process.stdout.write(`${VERSION}\n`);
      return 0;
    }
    choices = parsed;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`create-gatehouse: ${error.message}\nRun "npm create gatehouse -- --help" for the options.\n`);
    return 2;
  }
  // Asking needs someone to answer: a prompt on a closed stdin never settles.
  const interactive = !choices.yes && process.stdin.isTTY === true && process.stdout.isTTY === true && !process.env.CI;
  try {
    return interactive ? await ask(choices) : await withoutAsking(choices);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`create-gatehouse: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

function parse(args: readonly string[]): Choices | 'help' | 'version' {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      allowNegative: true,
      options: {
        template: { type: 'string', short: 't' },
        pm: { type: 'string' },
        install: { type: 'boolean' },
        git: { type: 'boolean' },
        yes: { type: 'boolean', short: 'y' },
        force: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (error) {
    // Node's message names the option as it was typed; its first line is the whole of it.
    throw new UsageError((error as Error).message.split('\n')[0]!);
  }
  const { values, positionals } = parsed;
  if (values.help === true) return 'help';
  if (values.version === true) return 'version';
  if (positionals.length > 1) throw new UsageError(`one folder, not ${positionals.length}: ${positionals.join(' ')}`);
  if (values.template !== undefined && !TEMPLATES.some((template) => template.id === values.template)) {
    throw new UsageError(`--template wants one of ${TEMPLATES.map((template) => template.id).join(', ')}, not "${values.template}"`);
  }
  if (values.pm !== undefined && !PACKAGE_MANAGERS.includes(values.pm as PackageManager)) {
    throw new UsageError(`--pm wants one of ${PACKAGE_MANAGERS.join(', ')}, not "${values.pm}"`);
  }
  return {
    folder: positionals[0],
    template: values.template,
    pm: values.pm as PackageManager | undefined,
    install: values.install,
    git: values.git,
    yes: values.yes === true,
    force: values.force === true,
  };
}

interface Plan {
  target: string;
  name: string;
  template: string;
  pm: PackageManager;
  install: boolean;
  git: boolean;
}

/** No terminal, or --yes: every choice from a flag or its default, never a question. */
async function withoutAsking(choices: Choices): Promise<number> {
  const folder = choices.folder ?? (choices.yes ? 'gatehouse-app' : undefined);
  if (folder === undefined) throw new UsageError('no terminal to ask in: give the folder (and --template), or --yes for the defaults');
  const template = choices.template ?? (choices.yes ? 'edge-node' : undefined);
  if (template === undefined) {
    throw new UsageError(`no terminal to ask in: give --template (${TEMPLATES.map((entry) => entry.id).join(', ')}), or --yes for the default`);
  }
  const target = resolve(folder);
  const conflicts = conflictsIn(target);
  if (conflicts.length > 0 && !choices.force) {
    throw new UsageError(`${folder} is not empty (${listed(conflicts)}): choose another folder, or --force to create the project in it`);
  }
  const plan: Plan = {
    target,
    name: packageName(basename(target)),
    template,
    pm: choices.pm ?? invokingPackageManager(),
    install: choices.install ?? true,
    git: choices.git ?? true,
  };
  return await create(plan, { step: (text) => process.stdout.write(`${text}\n`), warn: (text) => process.stderr.write(`warning: ${text}\n`) });
}

/** A terminal: ask for whatever no flag gave. */
async function ask(choices: Choices): Promise<number> {
  prompts.intro('create-gatehouse');
  const answer = <T>(value: T): Exclude<T, symbol> => {
    if (prompts.isCancel(value)) throw new Cancelled();
    return value as Exclude<T, symbol>;
  };
  try {
    const folder =
      choices.folder ??
      answer(
        await prompts.text({
          message: 'Where should the project go?',
          placeholder: 'gatehouse-app',
          defaultValue: 'gatehouse-app',
        }),
      );
    const target = resolve(folder.trim() || 'gatehouse-app');
    const conflicts = conflictsIn(target);
    if (conflicts.length > 0 && !choices.force) {
      const go = answer(
        await prompts.confirm({ message: `${relative(process.cwd(), target) || '.'} is not empty (${listed(conflicts)}). Create the project in it anyway?`, initialValue: false }),
      );
      if (!go) throw new Cancelled();
    }
    const template =
      choices.template ??
      answer(
        await prompts.select({
          message: 'Which project?',
          options: TEMPLATES.map((entry) => ({ value: entry.id, label: entry.title, hint: entry.hint })),
          initialValue: 'edge-node',
        }),
      );
    const pm =
      choices.pm ??
      answer(
        await prompts.select({
          message: 'Which package manager?',
          options: PACKAGE_MANAGERS.map((manager) => ({ value: manager, label: manager })),
          initialValue: invokingPackageManager(),
        }),
      );
    const install = choices.install ?? answer(await prompts.confirm({ message: `Install the dependencies with ${pm}?`, initialValue: true }));
    const git = choices.git ?? answer(await prompts.confirm({ message: 'Make it a git repository?', initialValue: true }));
    // Nothing is written before the last answer: a cancel leaves no trace.
    const code = await create(
      { target, name: packageName(basename(target)), template, pm, install, git },
      { step: (text) => prompts.log.step(text), warn: (text) => prompts.log.warn(text) },
    );
    prompts.outro(code === 0 ? 'Done.' : 'The project is there, but not everything went well: see above.');
    return code;
  } catch (error) {
    if (!(error instanceof Cancelled)) throw error;
    prompts.cancel('Cancelled: nothing was written.');
    return CANCELLED;
  }
}

class Cancelled extends Error {}

interface Reporter {
  step(text: string): void;
  warn(text: string): void;
}

async function create(plan: Plan, report: Reporter): Promise<number> {
  const shown = relative(process.cwd(), plan.target) || '.';
  mkdirSync(plan.target, { recursive: true });
  await copyTemplate(plan.template, plan.target, plan.name, plan.pm);
  report.step(`Created ${plan.name} in ${shown} from the ${plan.template} template`);
  let code = 0;
  if (plan.install) {
    report.step(`Installing the dependencies with ${plan.pm}…`);
    const installed = await run(plan.pm, ['install'], plan.target);
    if (installed.code !== 0) {
      process.stderr.write(installed.output);
      report.warn(`${plan.pm} install failed (exit code ${installed.code}); run it again in ${shown} once the cause is fixed`);
      code = 1;
    }
  }
  if (plan.git) {
    const repository = initRepository(plan.target);
    if (repository.done) report.step('Made it a git repository, with a first commit');
    else report.warn(`no git repository: ${repository.reason}`);
  }
  const next = [
    ...(shown === '.' ? [] : [`cd ${shown.includes(' ') ? `"${shown}"` : shown}`]),
    ...(plan.install ? [] : [plan.pm === 'yarn' ? 'yarn' : `${plan.pm} install`]),
    `${runScript(plan.pm, 'dev')}    # run it`,
    `${runScript(plan.pm, 'test')}   # test it`,
  ];
  report.step(`Next:\n${next.map((line) => `  ${line}`).join('\n')}`);
  return code;
}

function run(command: string, args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolveRun) => {
    // npm, pnpm and yarn are .cmd shims on Windows, which Node spawns only through a shell.
    const child = spawn(command, args, { cwd, shell: process.platform === 'win32', stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    child.on('error', (error) => resolveRun({ code: -1, output: `${error.message}\n` }));
    child.on('close', (code) => resolveRun({ code, output }));
  });
}

function listed(names: readonly string[]): string {
  return names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`;
}
