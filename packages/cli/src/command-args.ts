import { parseArgs } from 'node:util';
import { closest, UsageError } from './usage-error.ts';

/** A command's option table, in `util.parseArgs`' shape. */
export type OptionTable = Record<string, { readonly type: 'string' | 'boolean'; readonly short?: string; readonly multiple?: boolean }>;

export type OptionValues<Table extends OptionTable> = {
  -readonly [K in keyof Table]?: Table[K] extends { type: 'boolean' } ? boolean : Table[K] extends { multiple: true } ? string[] : string;
};

export interface ParsedArgs<Table extends OptionTable> {
  values: OptionValues<Table>;
  positionals: string[];
  /** How each option given was typed (`-w`, `--workers`), to name it so in a message. */
  typed: Map<keyof Table & string, string>;
}

/**
 * parseArgs in its lenient mode, checked here: strict mode's errors are
 * Node's (several lines, a quote that does not close, `-w, --workers
 * <value>` for what was typed `--workers`), and it refuses `--max-requests
 * -1` before it can be said that -1 is no count.
 */
export function parseCommandArgs<Table extends OptionTable>(args: readonly string[], table: Table): ParsedArgs<Table> {
  const { values, positionals, tokens } = parseArgs({ args: [...args], options: table, allowPositionals: true, strict: false, tokens: true });
  const typed = new Map<keyof Table & string, string>();
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const raw = args[token.index]!;
    // `-workers` reads as -w with the value "orkers": a long option with one dash was meant.
    const oneDash = /^-([^-=][^=]+)/.exec(raw)?.[1];
    if (oneDash !== undefined && Object.hasOwn(table, oneDash)) {
      throw new UsageError(`unknown option -${oneDash} (did you mean --${oneDash}?)`, { seeHelp: true });
    }
    if (!Object.hasOwn(table, token.name)) throw new UsageError(unknownOption(token.rawName, table), { seeHelp: true });
    const option = table[token.name]!;
    if (option.type === 'boolean' && token.value !== undefined) throw new UsageError(`${token.rawName} takes no value`, { seeHelp: true });
    // The next argument is the value, unless it is an option (a negative number is not).
    if (option.type === 'string' && (token.value === undefined || (token.inlineValue === false && /^-[^\d.]/.test(token.value)))) {
      throw new UsageError(`${token.rawName} needs a value`, { seeHelp: true });
    }
    typed.set(token.name, token.rawName);
  }
  return { values: values as OptionValues<Table>, positionals, typed };
}

function unknownOption(rawName: string, table: OptionTable): string {
  const dashes = rawName.startsWith('--') ? '--' : '-';
  const names = Object.entries(table).flatMap(([name, option]) => (dashes === '--' ? [name] : option.short !== undefined ? [option.short] : []));
  const meant = closest(rawName.slice(dashes.length), names);
  return `unknown option ${rawName}${meant === undefined ? '' : ` (did you mean ${dashes}${meant}?)`}`;
}
