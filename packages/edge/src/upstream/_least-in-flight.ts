import { type Balancer, usable } from './_balancer.ts';
import type { UpstreamServer } from './_normalize.ts';
import { RoundRobin } from './_round-robin.ts';

/**
 * The server with the fewest requests in flight relative to its weight,
 * as nginx's `least_conn` chooses: ties go by weighted round-robin among
 * the tied servers. The pool counts a request in flight from the moment
 * it is sent until its response body is done (or the exchange failed).
 */
export class LeastInFlight implements Balancer {
  readonly #servers: readonly UpstreamServer[];
  readonly #inFlight: number[];
  readonly #tieBreak: RoundRobin;

  constructor(servers: readonly UpstreamServer[]) {
    this.#servers = servers;
    this.#inFlight = servers.map(() => 0);
    this.#tieBreak = new RoundRobin(servers);
  }

  pick(down: ReadonlySet<string>, tried: readonly UpstreamServer[] | undefined, _key?: string): number {
    const servers = this.#servers;
    const inFlight = this.#inFlight;
    let best = -1;
    let tied = false;
    for (let i = 0; i < servers.length; i++) {
      const server = servers[i]!;
      if (!usable(server, down, tried)) continue;
      if (best === -1) {
        best = i;
        continue;
      }
      // Compare inFlight / weight without dividing: a/wa < b/wb ⇔ a·wb < b·wa.
      const mine = inFlight[i]! * servers[best]!.weight;
      const theirs = inFlight[best]! * server.weight;
      if (mine < theirs) {
        best = i;
        tied = false;
      } else if (mine === theirs) {
        tied = true;
      }
    }
    if (!tied) return best;
    const first = best;
    const load = inFlight[first]!;
    const weight = servers[first]!.weight;
    return this.#tieBreak.pickAmong(
      first,
      (i) => usable(servers[i]!, down, tried) && inFlight[i]! * weight === load * servers[i]!.weight,
    );
  }

  /** A request to server `index` was sent. */
  started(index: number): void {
    this.#inFlight[index]!++;
  }

  /** A request to server `index` is over. */
  ended(index: number): void {
    if (this.#inFlight[index]! > 0) this.#inFlight[index]!--;
  }

  /** Requests in flight per server, for tests and metrics. */
  inFlight(): readonly number[] {
    return this.#inFlight;
  }
}
