import { type FSWatcher, watch } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * Watches the files an entry imports (its module graph, as esbuild follows
 * it, packages left out) and calls `onChange` once per burst of saves. The
 * graph is worked out again after each change, so a file newly imported is
 * watched from then on. Only this tier's files count: a save in the edge's
 * code does not reload an origin.
 */
export class ModuleWatch {
  readonly #entry: string;
  readonly #conditions: readonly string[];
  readonly #onChange: (files: string[]) => void;
  readonly #watchers = new Map<string, FSWatcher>();
  #files = new Set<string>();
  #changed = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  private constructor(entry: string, conditions: readonly string[], onChange: (files: string[]) => void) {
    this.#entry = entry;
    this.#conditions = conditions;
    this.#onChange = onChange;
  }

  static async start(entry: string, conditions: readonly string[], onChange: (files: string[]) => void): Promise<ModuleWatch> {
    const watcher = new ModuleWatch(entry, conditions, onChange);
    await watcher.#follow();
    return watcher;
  }

  /** The files watched now. */
  get files(): ReadonlySet<string> {
    return this.#files;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const watcher of this.#watchers.values()) watcher.close();
    this.#watchers.clear();
  }

  async #follow(): Promise<void> {
    const files = await moduleGraph(this.#entry, this.#conditions);
    // A file that does not build keeps the graph it had: its imports are unknown until it does.
    if (files.size > 0) this.#files = files;
    if (this.#closed) return;
    const folders = new Set([...this.#files].map((file) => dirname(file)));
    for (const [folder, watcher] of this.#watchers) {
      if (!folders.has(folder)) {
        watcher.close();
        this.#watchers.delete(folder);
      }
    }
    for (const folder of folders) {
      if (this.#watchers.has(folder)) continue;
      // One watcher per folder: editors save by renaming a new file over the old one, which a file watcher loses.
      const watcher = watch(folder, (_event, name) => {
        if (name === null) return;
        const file = resolve(folder, name.toString());
        if (!this.#files.has(file)) return;
        this.#changed.add(file);
        clearTimeout(this.#timer);
        this.#timer = setTimeout(() => void this.#settle(), 80);
      });
      watcher.on('error', () => this.#watchers.delete(folder));
      this.#watchers.set(folder, watcher);
    }
  }

  async #settle(): Promise<void> {
    const changed = [...this.#changed];
    this.#changed.clear();
    await this.#follow();
    if (!this.#closed) this.#onChange(changed);
  }
}

/** The absolute paths of the files `entry` imports, itself included; empty if it does not build. */
export async function moduleGraph(entry: string, conditions: readonly string[]): Promise<Set<string>> {
  const { build } = await import('esbuild');
  try {
    const { metafile } = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'esm',
      // Installed packages change with an install, not a save.
      packages: 'external',
      conditions: [...conditions],
      logLevel: 'silent',
      absWorkingDir: process.cwd(),
    });
    return new Set(Object.keys(metafile.inputs).map((input) => resolve(input)));
  } catch {
    return new Set();
  }
}
