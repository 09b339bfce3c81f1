import type { UpstreamServer } from './_normalize.ts';

/** Servers for balancer tests, named a, b, c… with the given weights. */
export function servers(...weights: number[]): UpstreamServer[] {
  return weights.map((weight, index) => {
    const id = String.fromCharCode(0x61 + index);
    return {
      id,
      key: `test ${id}`,
      origin: `http://${id}.test`,
      host: `${id}.test`,
      basePath: '',
      socket: undefined,
      binding: undefined,
      app: undefined,
      weight,
      backup: false,
      maxFails: 1,
      failTimeout: 10_000,
    };
  });
}

export const NONE: ReadonlySet<string> = new Set();
