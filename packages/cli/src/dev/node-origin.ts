import { type ChildProcess, spawn } from 'node:child_process';
import type { TierLog } from './tier-log.ts';

/** The container's own line once its workers serve: `serving <app> on <url> with …`. */
const SERVING = /\bserving .+ on (http:\/\/\S+) with \d+ worker/;

/**
 * Tells `gatehouse start` it runs under `gatehouse dev`: it stops gracefully
 * when its standard input closes, which happens when dev exits in any way,
 * SIGKILL included, so no container outlives the command.
 */
export const STOP_WITH_STDIN_ENV = 'GATEHOUSE_STOP_WITH_STDIN';

export interface NodeOriginOptions {
  readonly entry: string;
  readonly port: number;
  readonly host: string;
  readonly workers: number;
  readonly conditions: readonly string[];
  readonly log: TierLog;
}

/** A Node origin: `gatehouse start` in a child process, its lines in the combined log. */
export class NodeOrigin {
  readonly url: string;
  readonly #child: ChildProcess;
  readonly #exited: Promise<number | null>;

  private constructor(url: string, child: ChildProcess, exited: Promise<number | null>) {
    this.url = url;
    this.#child = child;
    this.#exited = exited;
  }

  /** Start the container and wait for its workers to serve; rejects with its last words if it exits first. */
  static async start(options: NodeOriginOptions): Promise<NodeOrigin> {
    // The command that runs dev runs start too: the same Node, flags and CLI.
    const args = [
      ...process.execArgv,
      ...options.conditions.map((condition) => `--conditions=${condition}`),
      process.argv[1]!,
      'start',
      options.entry,
      '--port',
      String(options.port),
      '--host',
      options.host,
      '--workers',
      String(options.workers),
    ];
    const child = spawn(process.execPath, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, [STOP_WITH_STDIN_ENV]: '1' },
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    options.log.follow(child.stdout!);
    const lastLines: string[] = [];
    const url = await new Promise<string>((resolve, reject) => {
      let buffer = '';
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (chunk: string) => {
        buffer += chunk;
        let at: number;
        while ((at = buffer.indexOf('\n')) !== -1) {
          const line = buffer.slice(0, at).replace(/^\[gatehouse\] /, '');
          buffer = buffer.slice(at + 1);
          options.log.error(line);
          lastLines.push(line);
          if (lastLines.length > 5) lastLines.shift();
          const serving = SERVING.exec(line);
          if (serving) resolve(serving[1]!);
        }
      });
      void exited.then((code) => reject(new OriginExited(code, lastLines)));
    });
    return new NodeOrigin(url, child, exited);
  }

  /** Load the App's new code without dropping a request (the container's SIGHUP reload). */
  reload(): void {
    this.#child.kill('SIGHUP');
  }

  /** Stop gracefully, and wait for the container to exit. */
  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGTERM');
    await this.#exited;
  }

  /** Resolves with the exit code when the container exits. */
  get exited(): Promise<number | null> {
    return this.#exited;
  }
}

/** The container exited before it served. */
export class OriginExited extends Error {
  constructor(code: number | null, lastLines: readonly string[]) {
    super(`exited with code ${code} before it served${lastLines.length > 0 ? `: ${lastLines.at(-1)}` : ''}`);
    this.name = 'OriginExited';
  }
}
