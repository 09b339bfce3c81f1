import type * as EmulatorModule from '@gatehouse/lambda/emulator';
import type { TierLog } from './tier-log.ts';

export interface LambdaOriginOptions {
  /** The function's module: its export named `handler` is the Lambda handler. */
  readonly entry: string;
  readonly port: number;
  readonly host: string;
  readonly source: 'function-url' | 'http' | 'rest' | 'alb';
  readonly conditions: readonly string[];
  readonly log: TierLog;
}

type Emulator = typeof EmulatorModule;

/**
 * A Lambda origin: the function bundled as it is deployed, run by a real
 * Runtime API client in a process of its own, behind the emulator's event
 * source. A reload bundles it again and starts a fresh runtime, a cold
 * start as after a deploy. The old front closes first (its requests in
 * flight are answered), so for that moment the port refuses, and the edge
 * answers those requests 502.
 */
export class LambdaOrigin {
  readonly url: string;
  readonly #options: LambdaOriginOptions;
  readonly #emulator: Emulator;
  #current: { close(): Promise<void> };

  private constructor(url: string, options: LambdaOriginOptions, emulator: Emulator, current: { close(): Promise<void> }) {
    this.url = url;
    this.#options = options;
    this.#emulator = emulator;
    this.#current = current;
  }

  static async start(options: LambdaOriginOptions): Promise<LambdaOrigin> {
    // An optional peer: only a project with a Lambda origin has it.
    const emulator = await import('@gatehouse/lambda/emulator');
    const { url, close } = await LambdaOrigin.#run(emulator, options, options.port);
    return new LambdaOrigin(url, options, emulator, { close });
  }

  static async #run(emulator: Emulator, options: LambdaOriginOptions, port: number): Promise<{ url: string; close(): Promise<void> }> {
    const bundled = await emulator.bundleFunction(options.entry, { conditions: [...options.conditions], handler: 'index.handler' });
    try {
      const runtimeApi = await emulator.startRuntimeApi({
        runtime: {
          ...bundled,
          stdio: (stdout, stderr) => {
            options.log.follow(stdout);
            options.log.follow(stderr, true);
          },
        },
      });
      const front = await emulator.emulate(runtimeApi, { source: options.source, port, hostname: options.host });
      return {
        url: front.url,
        close: async () => {
          await front.close();
          await runtimeApi.close();
          await bundled.close();
        },
      };
    } catch (error) {
      await bundled.close();
      throw error;
    }
  }

  /** Bundle again and swap the runtime; the old one closes once its requests are answered. */
  async reload(): Promise<void> {
    const { log } = this.#options;
    try {
      const port = Number(new URL(this.url).port);
      // The front holds the port: the new one can only take it once the old one lets go.
      await this.#current.close();
      this.#current = await LambdaOrigin.#run(this.#emulator, this.#options, port);
      log.line('reloaded');
    } catch (error) {
      log.error(`reload failed: ${(error as Error).message}`);
    }
  }

  async stop(): Promise<void> {
    await this.#current.close();
  }
}
