import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';

/**
 * The Node binary `--node <major>` asks for: this one when it is that
 * major, else the registry's `node@<major>` package through npx (as
 * scripts/test-on-node.sh gets it), so a fresh machine needs nothing more.
 */
export function otherNode(args: readonly string[]): { binary: string; version: string } | undefined {
  const { values } = parseArgs({ args: [...args], options: { node: { type: 'string' } } });
  const major = values.node;
  if (major === undefined) return undefined;
  if (!/^\d+$/.test(major)) throw new Error(`--node takes a Node major version (e.g. --node 24), not "${major}"`);
  if (process.versions.node.split('.')[0] === major) return { binary: process.execPath, version: process.version };
  console.log(`Fetching Node ${major} for the side-by-side (npx -p node@${major})…`);
  // From /tmp: npm scripts would put the project's own Node first on the PATH.
  const binary = execFileSync('npx', ['-y', '-p', `node@${major}`, '--', 'sh', '-c', 'command -v node'], { cwd: '/tmp', encoding: 'utf8' }).trim();
  const version = execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim();
  return { binary, version };
}
