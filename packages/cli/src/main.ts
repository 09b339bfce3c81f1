import { ContainerError } from '@gatehouse/node/container';
import { start, START_HELP } from './commands/start.ts';
import { UsageError } from './usage-error.ts';

const HELP = `Usage: gatehouse <command> [options]

Commands:
  start [app]   run an App in worker processes (the application container)

Run "gatehouse <command> --help" for a command's options.
`;

/**
 * Run the `gatehouse` command with `args` (without the program name).
 * Resolves with the exit code; errors a user can fix are printed in one
 * line, without a stack.
 */
export async function main(args: readonly string[]): Promise<number> {
  const [command, ...rest] = args;
  try {
    switch (command) {
      case 'start':
        if (rest.includes('--help') || rest.includes('-h')) {
          process.stdout.write(START_HELP);
          return 0;
        }
        return await start(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(HELP);
        return command === undefined ? 1 : 0;
      default:
        throw new UsageError(`unknown command "${command}"\n\n${HELP}`);
    }
  } catch (error) {
    if (error instanceof UsageError || error instanceof ContainerError) {
      process.stderr.write(`gatehouse: ${error.message}\n`);
      return error instanceof UsageError ? 2 : 1;
    }
    if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS_') === true) {
      process.stderr.write(`gatehouse: ${(error as Error).message}\nRun "gatehouse ${command} --help" for the options.\n`);
      return 2;
    }
    throw error;
  }
}
