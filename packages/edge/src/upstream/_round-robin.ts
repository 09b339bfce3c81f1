import { type Balancer, usable } from './_balancer.ts';
import type { UpstreamServer } from './_normalize.ts';

/**
 * Smooth weighted round-robin, nginx's (`ngx_http_upstream_get_peer`):
 * on each pick every usable server's current weight grows by its weight,
 * the largest wins and gives back the sum of the weights it was compared
 * with. Over any stretch of requests each server gets its share, spread
 * out rather than in bursts: weights 5, 1, 1 give a a b a c a a.
 */
export class RoundRobin implements Balancer {
  readonly #servers: readonly UpstreamServer[];
  readonly #current: number[];

  constructor(servers: readonly UpstreamServer[]) {
    this.#servers = servers;
    this.#current = servers.map(() => 0);
  }

  pick(down: ReadonlySet<string>, tried: readonly UpstreamServer[] | undefined, _key?: string): number {
    const servers = this.#servers;
    const current = this.#current;
    let best = -1;
    let total = 0;
    for (let i = 0; i < servers.length; i++) {
      const server = servers[i]!;
      if (!usable(server, down, tried)) continue;
      current[i]! += server.weight;
      total += server.weight;
      if (best === -1 || current[i]! > current[best]!) best = i;
    }
    if (best !== -1) current[best]! -= total;
    return best;
  }

  /**
   * The same, among the servers `among` admits only (least-in-flight's
   * ties), starting from `from`.
   */
  pickAmong(from: number, among: (index: number) => boolean): number {
    const servers = this.#servers;
    const current = this.#current;
    let best = -1;
    let total = 0;
    for (let i = from; i < servers.length; i++) {
      if (!among(i)) continue;
      const weight = servers[i]!.weight;
      current[i]! += weight;
      total += weight;
      if (best === -1 || current[i]! > current[best]!) best = i;
    }
    if (best !== -1) current[best]! -= total;
    return best;
  }
}
