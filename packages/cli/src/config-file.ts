import { existsSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { GatehouseConfig, OriginConfig } from './config.ts';
import { UsageError } from './usage-error.ts';

const CONFIG_NAMES = ['gatehouse.config.ts', 'gatehouse.config.mjs', 'gatehouse.config.js'];

/** A config file, loaded and checked. */
export interface LoadedConfig {
  /** The file, or undefined when there is none and none was asked for. */
  readonly file: string | undefined;
  /** Its folder, which relative paths in it are taken from (the working directory without a file). */
  readonly root: string;
  readonly config: GatehouseConfig;
}

/**
 * Load `explicit`, else the first `gatehouse.config.{ts,mjs,js}` in the
 * working directory, else nothing. Every field is checked: a wrong one is
 * a {@link UsageError} naming its path (`origins.app.kind`) and what it
 * should be.
 */
export async function loadConfigFile(explicit: string | undefined): Promise<LoadedConfig> {
  const file = explicit !== undefined ? resolve(explicit) : CONFIG_NAMES.map((name) => resolve(name)).find((path) => existsSync(path));
  if (file === undefined) return { file: undefined, root: process.cwd(), config: {} };
  if (!existsSync(file)) throw new UsageError(`the config file ${file} does not exist`);
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (error) {
    throw new UsageError(`could not load the config file ${file}: ${(error as Error).message}`);
  }
  const name = relative(process.cwd(), file) || file;
  const config = module.default;
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new UsageError(`${name} must export default a config object: export default defineConfig({ ... })`);
  }
  checkConfig(config as Record<string, unknown>, name);
  return { file, root: dirname(file), config: config as GatehouseConfig };
}

type Check = (value: unknown) => string | undefined;

const describe = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'string' ? `"${value}"` : typeof value === 'object' ? 'an object' : String(value);

const string: Check = (value) => (typeof value === 'string' && value !== '' ? undefined : 'a non-empty string');
const port: Check = (value) => (Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 65_535 ? undefined : 'a port number (0 to 65535)');
const count: Check = (value) => (Number.isInteger(value) && (value as number) >= 1 ? undefined : 'a whole number of at least 1');
const strings: Check = (value) => (Array.isArray(value) && value.every((item) => typeof item === 'string') ? undefined : 'an array of strings');
const oneOf =
  (...choices: string[]): Check =>
  (value) =>
    typeof value === 'string' && choices.includes(value) ? undefined : choices.map((choice) => `"${choice}"`).join(' or ');
const boolean: Check = (value) => (typeof value === 'boolean' ? undefined : 'true or false');
const between =
  (least: number, most: number, unit: string): Check =>
  (value) =>
    Number.isInteger(value) && (value as number) >= least && (value as number) <= most ? undefined : `a whole number of ${unit} from ${least} to ${most}`;
// Lambda's rule for a function name: 1 to 64 letters, digits, hyphens and underscores.
const functionName: Check = (value) => (typeof value === 'string' && /^[\w-]{1,64}$/.test(value) ? undefined : 'a Lambda function name (1 to 64 letters, digits, - and _)');
const object: Check = (value) => (typeof value === 'object' && value !== null && !Array.isArray(value) ? undefined : 'an object');

/** Check `value`'s known fields against `fields`; unknown ones are refused, as a misspelt name would be. */
function checkFields(value: Record<string, unknown>, path: string, file: string, fields: Record<string, Check>, required: readonly string[] = []): void {
  for (const key of required) {
    if (value[key] === undefined) throw new UsageError(`${file}: ${path}${key} is missing: it wants ${fields[key]!(undefined)}`);
  }
  for (const [key, field] of Object.entries(value)) {
    if (field === undefined) continue;
    const check = fields[key];
    if (check === undefined) {
      throw new UsageError(`${file}: ${path}${key} is not a field here (known: ${Object.keys(fields).join(', ')})`);
    }
    const wants = check(field);
    if (wants !== undefined) throw new UsageError(`${file}: ${path}${key} wants ${wants}, not ${describe(field)}`);
  }
}

function checkConfig(config: Record<string, unknown>, file: string): void {
  // `start` has its own checks, in the container (they name its options as the command line does).
  checkFields(config, '', file, { edge: object, origins: object, conditions: strings, start: object });
  if (config.edge !== undefined) checkFields(config.edge as Record<string, unknown>, 'edge.', file, { wrangler: string, port });
  const origins = Object.entries((config.origins ?? {}) as Record<string, unknown>);
  for (const [name, origin] of origins) {
    const path = `origins.${name}.`;
    const wants = object(origin);
    if (wants !== undefined) throw new UsageError(`${file}: origins.${name} wants ${wants}, not ${describe(origin)}`);
    const fields = origin as Record<string, unknown>;
    const kind = oneOf('node', 'lambda');
    if (kind(fields.kind) !== undefined) {
      throw new UsageError(`${file}: ${path}kind ${fields.kind === undefined ? 'is missing: it wants' : 'wants'} ${kind(fields.kind)}${fields.kind === undefined ? '' : `, not ${describe(fields.kind)}`}`);
    }
    const common = { kind, entry: string, edgeVar: string, port };
    const specific: Record<string, Check> =
      fields.kind === 'node'
        ? { workers: count, url: string }
        : {
            source: oneOf('function-url', 'http', 'rest', 'alb'),
            functionName: functionName,
            memorySize: between(128, 10_240, 'MB'),
            timeout: between(1, 900, 'seconds'),
            architecture: oneOf('arm64', 'x86_64'),
            role: (value) => (typeof value === 'string' && /^arn:aws[\w-]*:iam::\d{12}:role\/.+/.test(value) ? undefined : 'an IAM role ARN (arn:aws:iam::<account>:role/<name>)'),
            stream: boolean,
          };
    checkFields(fields, path, file, { ...common, ...specific }, ['entry']);
    if (origins.length > 1 && fields.edgeVar === undefined && config.edge !== undefined) {
      throw new UsageError(`${file}: ${path}edgeVar is missing: with several origins, each names the Worker var that tells the edge its URL`);
    }
  }
}

/** The Worker var that carries an origin's URL to the edge, in dev and deploy alike. */
export function edgeVarOf(origin: OriginConfig, originCount: number): string {
  // The config check made sure a var is named when there are several.
  return origin.edgeVar ?? (originCount === 1 ? 'ORIGIN' : '');
}
