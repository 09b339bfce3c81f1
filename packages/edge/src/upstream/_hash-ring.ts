import { type Balancer, usable } from './_balancer.ts';
import { hash32 } from './_hash.ts';
import type { UpstreamServer } from './_normalize.ts';
import { RoundRobin } from './_round-robin.ts';

/** Points on the ring per unit of weight, as in ketama and nginx's `hash … consistent`. */
export const POINTS_PER_WEIGHT = 160;

/**
 * Consistent hashing on a ring. Each server owns `160 × weight` points,
 * placed by hashing its id, so the ring is the same in every process and
 * isolate, and a server added or removed takes or gives back only the keys
 * next to its own points: about 1/N of them. A key goes to the owner of
 * the first point at or after its hash; if that server is down or already
 * tried, to the next server along the ring. Requests without a key go
 * round-robin, as in nginx.
 */
export class HashRing implements Balancer {
  readonly #servers: readonly UpstreamServer[];
  readonly #points: Uint32Array;
  readonly #owners: Uint32Array;
  readonly #roundRobin: RoundRobin;

  constructor(servers: readonly UpstreamServer[]) {
    this.#servers = servers;
    this.#roundRobin = new RoundRobin(servers);
    const points: [hash: number, owner: number][] = [];
    servers.forEach((server, owner) => {
      const count = POINTS_PER_WEIGHT * server.weight;
      for (let i = 0; i < count; i++) points.push([hash32(`${server.id}#${i}`), owner]);
    });
    // Ties (two servers on one point) resolved by position, the same everywhere.
    points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    this.#points = Uint32Array.from(points, (point) => point[0]);
    this.#owners = Uint32Array.from(points, (point) => point[1]);
  }

  pick(down: ReadonlySet<string>, tried: readonly UpstreamServer[] | undefined, key: string | undefined): number {
    if (key === undefined) return this.#roundRobin.pick(down, tried);
    const points = this.#points;
    const length = points.length;
    const start = lowerBound(points, hash32(key));
    for (let n = 0; n < length; n++) {
      const owner = this.#owners[(start + n) % length]!;
      if (usable(this.#servers[owner]!, down, tried)) return owner;
    }
    return -1;
  }
}

/** The first position whose point is ≥ `hash` (the ring's length if none: it wraps to 0). */
function lowerBound(points: Uint32Array, hash: number): number {
  let low = 0;
  let high = points.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (points[middle]! < hash) low = middle + 1;
    else high = middle;
  }
  return low;
}
