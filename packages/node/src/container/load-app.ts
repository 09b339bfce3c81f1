import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { App } from '@gatehouse/core';

/** The App's module could not be loaded or holds no App: said plainly, without a stack. */
export class AppLoadError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AppLoadError';
  }
}

/**
 * Import the App from its module: the default export, or an export named
 * `app`. A module that defines its App under another name is refused with
 * the names it does export, so the user sees what went wrong.
 */
export async function loadApp(url: string, needsScheduled: boolean): Promise<App<unknown>> {
  let module: Record<string, unknown>;
  try {
    module = (await import(url)) as Record<string, unknown>;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const place = error instanceof SyntaxError ? syntaxErrorPlace(error, url) : undefined;
    if (place === undefined) throw new AppLoadError(`could not load the App from ${displayPath(url)}: ${reason}`, { cause: error });
    // The place is what the user needs; the App's path once is enough when it is the place.
    const from = place.file === displayPath(url) ? '' : ` from ${displayPath(url)}`;
    throw new AppLoadError(`could not load the App${from}: ${place.file}:${place.line}:${place.column}: ${place.message}`, { cause: error });
  }
  const candidate = module.default ?? module.app;
  if (!isApp(candidate)) {
    const names = Object.keys(module);
    const found = names.length === 0 ? 'it exports nothing' : `it exports ${names.join(', ')}`;
    throw new AppLoadError(
      `${displayPath(url)} has no App: export default (or export const app) an object with a fetch(request, env, ctx) method; ${found}`,
    );
  }
  if (needsScheduled && typeof candidate.scheduled !== 'function') {
    throw new AppLoadError(`crons are configured, but the App in ${displayPath(url)} has no scheduled(controller, env, ctx) method`);
  }
  return candidate;
}

function isApp(value: unknown): value is App<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { fetch?: unknown }).fetch === 'function'
  );
}

function displayPath(url: string): string {
  return url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
}

interface Place {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/**
 * Where a module failed to parse. Node's TypeScript stripping puts the
 * place in the stack, as a header like the one it prints for an uncaught
 * error. V8 keeps it for itself when a JavaScript module fails to compile:
 * then only `node --check` on the App's own file can say it (a syntax error
 * in a module it imports stays without a place).
 */
function syntaxErrorPlace(error: SyntaxError, url: string): Place | undefined {
  const place = parseHeader(error.stack ?? '', error.message);
  if (place !== undefined || !url.startsWith('file:') || !/\.[cm]?js$/.test(url)) return place;
  const check = spawnSync(process.execPath, ['--check', fileURLToPath(url)], { encoding: 'utf8', timeout: 10_000 });
  const reported = /^SyntaxError: (.*)$/m.exec(check.stderr ?? '')?.[1];
  return check.status === 0 || reported === undefined ? undefined : parseHeader(check.stderr, reported);
}

/**
 * `file:line`, the code around it, then a line with `^` under the column.
 * Without the `^` line it is not that header (a message may end in `:12`).
 */
function parseHeader(text: string, message: string): Place | undefined {
  const header = /^(.+):(\d+)\n/.exec(text);
  if (header === null) return undefined;
  const caret = text
    .slice(header[0].length)
    .split('\n', 6)
    .find((line) => /^\s*\^+\s*$/.test(line));
  if (caret === undefined) return undefined;
  return { file: displayPath(header[1]!), line: Number(header[2]), column: caret.indexOf('^') + 1, message };
}
