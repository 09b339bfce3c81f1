import { existsSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { parseCommandArgs } from '../command-args.ts';
import { edgeSource, shown, startCommand } from '../import-nginx/edge-source.ts';
import { NginxSyntaxError, readNginxConfig } from '../import-nginx/nginx-config.ts';
import { translateNginx } from '../import-nginx/translate.ts';
import { UsageError } from '../usage-error.ts';

export const IMPORT_HELP = `Usage: gatehouse import nginx <nginx.conf> [options]

Reads an nginx config (its include files followed) and writes the edge
config that does the same: upstream blocks become pools, server blocks
sites, locations routes. Every directive it could not translate is listed
with its file, line and why, on screen and at the end of the file written.
Exits with 1 only when nothing usable came out.

Translated: server (listen, server_name), location with every modifier,
root, alias, index, try_files, proxy_pass with proxy_set_header and
proxy_connect/read_timeout, proxy_next_upstream, proxy_buffering,
proxy_request_buffering, client_body_buffer_size, proxy_cache_path with
proxy_cache and its proxy_cache_valid, _key, _use_stale, _lock, _bypass and
proxy_no_cache, upstream (server weight= max_fails= fail_timeout= backup,
least_conn, ip_hash, hash), return, rewrite that redirects, expires on files.

Options:
  -o, --out <file>   the edge config to write (default: edge.ts)
  -f, --force        replace --out if it exists
  -h, --help         this help
`;

const OPTIONS = {
  out: { type: 'string', short: 'o' },
  force: { type: 'boolean', short: 'f' },
} as const;

/** `gatehouse import <kind> …`: resolves with the exit code. */
export async function importConfig(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, OPTIONS);
  const [kind, file, ...extra] = positionals;
  if (kind !== 'nginx') throw new UsageError(kind === undefined ? 'import what? gatehouse import nginx <nginx.conf>' : `gatehouse can import nginx configs, not "${kind}"`, { seeHelp: true });
  if (file === undefined) throw new UsageError('which nginx config? gatehouse import nginx <nginx.conf>', { seeHelp: true });
  if (extra.length > 0) throw new UsageError(`one nginx config at a time, not also ${extra.join(' ')}`, { seeHelp: true });
  const configFile = resolve(file);
  if (!existsSync(configFile)) throw new UsageError(`${file} does not exist`);
  const out = resolve(values.out ?? 'edge.ts');
  if (existsSync(out) && values.force !== true) throw new UsageError(`${relative(process.cwd(), out) || out} exists: pass --force to replace it, or --out to write elsewhere`);

  let plan;
  try {
    plan = translateNginx(readNginxConfig(configFile));
  } catch (error) {
    if (error instanceof NginxSyntaxError) {
      process.stderr.write(`gatehouse import: ${relative(process.cwd(), error.file) || error.file}:${error.line}: ${error.message.slice(error.message.indexOf(': ', error.file.length) + 2)}\n`);
      return 1;
    }
    throw error;
  }
  const base = dirname(configFile);
  const where = (path: string, line: number): string => `${relative(process.cwd(), path) || path}:${line}`;
  const routes = plan.sites.reduce((sum, site) => sum + site.routes.length, 0);
  const lost = plan.skipped.filter((skip) => skip.lost);
  for (const skip of lost) process.stderr.write(`  ${where(skip.directive.file, skip.directive.line)}  ${shown(skip.directive)}\n      ${skip.why}\n`);
  if (routes === 0) {
    process.stderr.write(`gatehouse import: nothing in ${file} could be translated into a route; ${relative(process.cwd(), out) || out} was not written\n`);
    return 1;
  }
  writeFileSync(out, edgeSource(plan, relative(dirname(out), configFile) || configFile, base));
  const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
  const summary = `${count(plan.pools.length, 'pool')}, ${count(plan.sites.length, 'site')}, ${count(routes, 'route')}`;
  const left = plan.skipped.length - lost.length;
  process.stdout.write(
    `Wrote ${relative(process.cwd(), out) || out}: ${summary}.\n` +
      (lost.length === 0 ? 'Every directive that matters was translated.\n' : `${count(lost.length, 'directive')} not translated (listed above and at the end of the file).\n`) +
      (left === 0 ? '' : `${count(left, 'directive')} left out with nothing lost (nginx's own settings, or what the edge does by itself).\n`) +
      `Run it: ${startCommand(plan, relative(process.cwd(), out) || out)}  (needs @gatehouse/edge-node${plan.cacheZones.length > 0 ? ' and @gatehouse/edge' : ''})\n`,
  );
  return 0;
}
