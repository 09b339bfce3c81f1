import { readFileSync } from 'node:fs';
import { ContainerError } from '@gatehouse/node/container';
import { build, BUILD_HELP, BuildError } from './commands/build.ts';
import { deploy, DEPLOY_HELP } from './commands/deploy.ts';
import { dev, DEV_HELP } from './commands/dev.ts';
import { IMPORT_HELP, importConfig } from './commands/import.ts';
import { start, START_HELP } from './commands/start.ts';
import { DeployError } from './deploy/lambda-function.ts';
import { closest, UsageError } from './usage-error.ts';

const HELP = `Usage: gatehouse <command> [options]

Commands:
  dev           run the whole stack locally: the edge in workerd, the origins behind it
  build         build what each tier deploys: the Worker, Lambda zips, Node bundles
  deploy        ship the tiers: Lambda functions with Function URLs, then the edge Worker
  start [app]   run an App in worker processes (the application container)
  import nginx  translate an nginx config into an edge config (edge.ts)

Options:
  -v, --version print the version
  -h, --help    this help

Run "gatehouse <command> --help" for a command's options.
`;

/** Each command: what runs it, and its help. */
const COMMANDS: Readonly<Record<string, { run: (args: readonly string[]) => Promise<number>; help: string }>> = {
  dev: { run: dev, help: DEV_HELP },
  build: { run: build, help: BUILD_HELP },
  deploy: { run: deploy, help: DEPLOY_HELP },
  start: { run: start, help: START_HELP },
  import: { run: importConfig, help: IMPORT_HELP },
};
const OPTIONS = ['version', 'help'];

/**
 * Run the `gatehouse` command with `args` (without the program name).
 * Resolves with the exit code; errors a user can fix are printed in one
 * line, without a stack.
 */
export async function main(args: readonly string[]): Promise<number> {
  const [command, ...rest] = args;
  const own = command !== undefined && Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  try {
    if (own !== undefined) {
      if (rest.includes('--help') || rest.includes('-h')) {
        process.stdout.write(own.help);
        return 0;
      }
      return await own.run(rest);
    }
    switch (command) {
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(HELP);
        return command === undefined ? 1 : 0;
      case '--version':
      case '-v':
        process.stdout.write(`${version()}\n`);
        return 0;
      default: {
        if (command.startsWith('-')) {
          const meant = closest(command.replace(/^--?/, ''), OPTIONS);
          throw new UsageError(`unknown option ${command}${meant === undefined ? '' : ` (did you mean --${meant}?)`}`, { seeHelp: true });
        }
        const meant = closest(command, [...Object.keys(COMMANDS), 'help']);
        throw new UsageError(`unknown command "${command}"${meant === undefined ? '' : ` (did you mean ${meant}?)`}`, { seeHelp: true });
      }
    }
  } catch (error) {
    if (error instanceof UsageError) {
      // The command's own usage when the error is about it: its options are not the top level's.
      const program = own !== undefined ? `gatehouse ${command}` : 'gatehouse';
      const help = error.seeHelp ? `Run "${program} --help" for the ${own !== undefined ? 'options' : 'commands and options'}.\n` : '';
      process.stderr.write(`${program}: ${error.message}\n${help}`);
      return 2;
    }
    if (error instanceof BuildError || error instanceof DeployError) {
      process.stderr.write(`gatehouse ${command}: ${error.message}\n`);
      return 1;
    }
    if (error instanceof ContainerError) {
      process.stderr.write(`gatehouse: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

/** The version of this package: its package.json is one folder up from src/ and from dist/ alike. */
function version(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}
