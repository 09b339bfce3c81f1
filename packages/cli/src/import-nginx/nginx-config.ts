import { globSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';

/** One directive of an nginx config, where it was written, and its block if it has one. */
export interface Directive {
  readonly name: string;
  readonly args: readonly string[];
  readonly file: string;
  readonly line: number;
  /** The comment lines just above it (without `#`): hints for the translation. */
  readonly comments: readonly string[];
  /** The directives inside `{ … }`, or undefined for a simple directive. */
  readonly block?: readonly Directive[];
}

/** A config nginx itself would refuse: its file and line, and why. */
export class NginxSyntaxError extends Error {
  readonly file: string;
  readonly line: number;

  constructor(file: string, line: number, reason: string) {
    super(`${file}:${line}: ${reason}`);
    this.name = 'NginxSyntaxError';
    this.file = file;
    this.line = line;
  }
}

type Token = { kind: 'word'; text: string; line: number } | { kind: ';' | '{' | '}'; line: number } | { kind: 'comment'; text: string; line: number };

/**
 * Split nginx config text into tokens as nginx reads them
 * (`ngx_conf_read_token`): words split by whitespace, `;`, `{` and `}`; `#`
 * to the end of the line a comment where a word could start; '…' and "…"
 * quoted with backslash escapes; `${name}` kept whole.
 */
function tokenize(text: string, file: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let at = 0;
  while (at < text.length) {
    const char = text[at]!;
    if (char === '\n') {
      line++;
      at++;
    } else if (/\s/.test(char)) {
      at++;
    } else if (char === '#') {
      const end = text.indexOf('\n', at);
      tokens.push({ kind: 'comment', text: text.slice(at + 1, end === -1 ? text.length : end).trim(), line });
      at = end === -1 ? text.length : end;
    } else if (char === ';' || char === '{' || char === '}') {
      tokens.push({ kind: char, line });
      at++;
    } else {
      const start = line;
      let word = '';
      while (at < text.length) {
        const c = text[at]!;
        if (c === '"' || c === "'") {
          const quote = c;
          at++;
          for (;;) {
            if (at >= text.length) throw new NginxSyntaxError(file, start, `unexpected end of file, expecting ${quote}`);
            const q = text[at]!;
            if (q === '\\' && at + 1 < text.length) {
              const next = text[at + 1]!;
              word += next === 'n' ? '\n' : next === 't' ? '\t' : next === 'r' ? '\r' : next === quote || next === '\\' ? next : `\\${next}`;
              at += 2;
              continue;
            }
            if (q === '\n') line++;
            at++;
            if (q === quote) break;
            word += q;
          }
          continue;
        }
        if (c === '$' && text[at + 1] === '{') {
          const end = text.indexOf('}', at);
          if (end === -1) throw new NginxSyntaxError(file, line, 'the closing bracket in a ${…} variable is missing');
          word += text.slice(at, end + 1);
          at = end + 1;
          continue;
        }
        if (/\s/.test(c) || c === ';' || c === '{' || c === '}') break;
        if (c === '\\' && at + 1 < text.length) {
          word += text.slice(at, at + 2);
          at += 2;
          continue;
        }
        word += c;
        at++;
      }
      tokens.push({ kind: 'word', text: word, line: start });
    }
  }
  return tokens;
}

/**
 * Read an nginx config file into its directives, following `include` (a
 * path or a glob, relative to the main file's folder as nginx's prefix):
 * included directives take the include's place, each keeping its own file
 * and line.
 */
export function readNginxConfig(file: string, root: string = dirname(resolve(file)), seen: ReadonlySet<string> = new Set()): Directive[] {
  const path = resolve(file);
  if (seen.has(path)) throw new NginxSyntaxError(path, 1, 'includes itself');
  const tokens = tokenize(readFileSync(path, 'utf8'), path);
  let at = 0;
  const parseBlock = (closing: boolean, openedAt: number): Directive[] => {
    const directives: Directive[] = [];
    let comments: string[] = [];
    let lastCommentLine = -1;
    for (;;) {
      const token = tokens[at];
      if (token === undefined) {
        if (closing) throw new NginxSyntaxError(path, openedAt, 'unexpected end of file, expecting "}"');
        return directives;
      }
      if (token.kind === 'comment') {
        // A blank line between comments and a directive ends the hint.
        if (token.line !== lastCommentLine + 1) comments = [];
        comments.push(token.text);
        lastCommentLine = token.line;
        at++;
        continue;
      }
      if (token.kind === '}') {
        if (!closing) throw new NginxSyntaxError(path, token.line, 'unexpected "}"');
        at++;
        return directives;
      }
      if (token.kind !== 'word') throw new NginxSyntaxError(path, token.line, `unexpected "${token.kind}"`);
      const name = token.text;
      const args: string[] = [];
      at++;
      for (;;) {
        const next = tokens[at];
        if (next === undefined) throw new NginxSyntaxError(path, token.line, `unexpected end of file, expecting ";" or "}" after ${name}`);
        if (next.kind === 'word') {
          args.push(next.text);
          at++;
        } else if (next.kind === 'comment') {
          at++;
        } else break;
      }
      const end = tokens[at]!;
      const hint = lastCommentLine === token.line - 1 ? comments : [];
      comments = [];
      at++;
      if (end.kind === '{') {
        directives.push({ name, args, file: path, line: token.line, comments: hint, block: parseBlock(true, token.line) });
      } else if (end.kind === ';') {
        if (name === 'include') {
          for (const pattern of args) {
            const absolute = isAbsolute(pattern) ? pattern : resolve(root, pattern);
            const matches = /[*?[]/.test(absolute) ? globSync(absolute).sort() : [absolute];
            for (const match of matches) directives.push(...readNginxConfig(match, root, new Set([...seen, path])));
          }
        } else {
          directives.push({ name, args, file: path, line: token.line, comments: hint });
        }
      } else {
        throw new NginxSyntaxError(path, end.line, `unexpected "}" after ${name}, expecting ";"`);
      }
    }
  };
  return parseBlock(false, 1);
}
