import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { styleText } from 'node:util';

type Colour = 'cyan' | 'magenta' | 'yellow' | 'green' | 'blue';
const COLOURS: readonly Colour[] = ['magenta', 'yellow', 'green', 'blue'];

/** Where one tier's lines go: the combined log, each line after the tier's coloured name. */
export interface TierLog {
  readonly name: string;
  line(text: string): void;
  error(text: string): void;
  /** Every line of `stream` (a child's stdout or stderr), as this tier's. */
  follow(stream: Readable, asError?: boolean): void;
}

/**
 * The combined log of `gatehouse dev`: `edge │ …`, `app │ …`, the names
 * padded to one width and coloured when the terminal takes colour
 * (styleText honours NO_COLOR, FORCE_COLOR and a piped stdout).
 */
export class CombinedLog {
  readonly #width: number;
  #next = 0;

  constructor(names: readonly string[]) {
    this.#width = Math.max(...names.map((name) => name.length));
  }

  /** The log of the tier `name`; the edge is always cyan, origins take the next colour. */
  tier(name: string, edge = false): TierLog {
    const colour = edge ? 'cyan' : COLOURS[this.#next++ % COLOURS.length]!;
    const prefix = (stream: NodeJS.WriteStream): string => `${styleText(colour, name.padEnd(this.#width), { stream })} │ `;
    const write = (stream: NodeJS.WriteStream, text: string): void => {
      for (const line of text.replace(/\n$/, '').split('\n')) stream.write(`${prefix(stream)}${line}\n`);
    };
    return {
      name,
      line: (text) => write(process.stdout, text),
      error: (text) => write(process.stderr, text),
      follow(stream, asError = false) {
        createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => write(asError ? process.stderr : process.stdout, line));
      },
    };
  }

  /** A line of the command itself, not of a tier. */
  say(text: string): void {
    process.stdout.write(`${text}\n`);
  }
}
