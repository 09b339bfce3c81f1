/** The command line or the config file asks for something impossible: said in one line, no stack. */
export class UsageError extends Error {
  /** The command's `--help` shows what would have worked: the message is followed by a pointer to it. */
  readonly seeHelp: boolean;

  constructor(message: string, options: { seeHelp?: boolean } = {}) {
    super(message);
    this.name = 'UsageError';
    this.seeHelp = options.seeHelp ?? false;
  }
}

/**
 * The candidate `typed` was most likely meant to be, or none if none is
 * close: a suggestion that is wrong costs the reader more than no
 * suggestion. Case is ignored (`-W` for `-w`); one-letter names only match
 * that way, since every other letter is one edit away.
 */
export function closest(typed: string, candidates: readonly string[]): string | undefined {
  const word = typed.toLowerCase();
  const allowed = word.length <= 2 ? 0 : Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate.toLowerCase());
    if (distance <= allowed && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (best !== undefined || word.length < 3) return best;
  // An abbreviation (`--max` for `--max-requests`) is far from the whole name by edits.
  const longer = candidates.filter((candidate) => candidate.toLowerCase().startsWith(word));
  return longer.sort((a, b) => a.length - b.length)[0];
}

/** Edits (insert, delete, replace, swap two neighbours) that turn `a` into `b`. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = rows[i]!;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j]!, rows[i - 2]![j - 2]! + 1);
    }
  }
  return rows[a.length]![b.length]!;
}
