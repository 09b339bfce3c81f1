import type { UpstreamServer } from './_normalize.ts';

/**
 * One balancing method over one tier of a pool (its primaries, or its
 * backups). Each request asks it for a server, passing what it must skip:
 * the servers that are down and those this request already tried.
 */
export interface Balancer {
  /** The index of the chosen server, or -1 if every one is skipped. */
  pick(down: ReadonlySet<string>, tried: readonly UpstreamServer[] | undefined, key: string | undefined): number;
}

/** Whether `server` may be chosen. */
export function usable(server: UpstreamServer, down: ReadonlySet<string>, tried: readonly UpstreamServer[] | undefined): boolean {
  return (down.size === 0 || !down.has(server.key)) && (tried === undefined || !tried.includes(server));
}
