// A subpath of its own (`@gatehouse/cloudflare/health`): `cloudflare:workers`
// loads only in workerd, and the main entry must load anywhere.
import { DurableObject } from 'cloudflare:workers';
import { type HealthStore, MemoryHealthStore } from '@gatehouse/edge';

/**
 * The Durable Object that holds an edge's upstream health for every
 * isolate: export it from the Worker and bind it (see
 * {@link durableHealthStore}). It keeps nginx's rules through the edge's
 * own {@link MemoryHealthStore}; state lives in memory, so a restart of
 * the object starts healthy, as a restarted nginx does.
 */
export class HealthStoreObject extends DurableObject {
  readonly #store = new MemoryHealthStore();

  fail(server: string, now: number, maxFails: number, failTimeout: number): void {
    this.#store.fail(server, now, maxFails, failTimeout);
  }

  succeed(server: string, now: number): void {
    this.#store.succeed(server, now);
  }

  markDown(server: string, now: number, until: number): void {
    this.#store.markDown(server, now, until);
  }

  down(now: number): string[] {
    return [...this.#store.down(now)];
  }
}

/** Options of {@link durableHealthStore}. */
export interface DurableHealthStoreOptions {
  /** The object's name: one object per name. Defaults to `"health"`. */
  name?: string;
  /** Milliseconds a fetched answer of `down` is reused before it is asked again (in the background). Defaults to 1000. */
  refresh?: number;
}

/**
 * A {@link HealthStore} shared by every isolate of the Worker, through the
 * {@link HealthStoreObject} bound as `namespace`. Each isolate keeps a
 * local copy: its own reports count at once, the shared view is fetched
 * again at most every `refresh` ms without holding a request up, and
 * reports are written through in the background.
 *
 * @example
 * ```ts
 * // wrangler.toml: [[durable_objects.bindings]] name = "HEALTH", class_name = "HealthStoreObject"
 * //               [[migrations]] tag = "v1", new_classes = ["HealthStoreObject"]
 * import { worker } from '@gatehouse/cloudflare'
 * import { HealthStoreObject, durableHealthStore } from '@gatehouse/cloudflare/health'
 * import { defineEdge } from '@gatehouse/edge'
 *
 * export { HealthStoreObject }
 * export default worker(defineEdge((env: Env) => ({
 *   pools: { app: { servers: ['https://a.example', 'https://b.example'], store: durableHealthStore(env.HEALTH) } },
 *   routes: { '/': { proxy: 'app' } },
 * })))
 * ```
 */
export function durableHealthStore(
  namespace: DurableObjectNamespace<HealthStoreObject>,
  options: DurableHealthStoreOptions = {},
): HealthStore {
  const stub = namespace.get(namespace.idFromName(options.name ?? 'health'));
  const refresh = options.refresh ?? 1000;
  const local = new MemoryHealthStore();
  let shared: ReadonlySet<string> = new Set();
  let fetchedAt = -Infinity;
  let fetching: Promise<void> | undefined;
  const fetchShared = (now: number): Promise<void> =>
    (fetching ??= stub
      .down(now)
      .then((down) => {
        shared = new Set(down);
        fetchedAt = now;
      })
      .catch(() => {
        // The object is out of reach: go on with what this isolate knows.
        fetchedAt = now;
      })
      .finally(() => (fetching = undefined)));
  // Servers this isolate reported trouble with: only their successes are worth a write.
  const troubled = new Set<string>();
  return {
    fail(server, now, maxFails, failTimeout) {
      local.fail(server, now, maxFails, failTimeout);
      troubled.add(server);
      return stub.fail(server, now, maxFails, failTimeout);
    },
    succeed(server, now) {
      // Called after every good exchange: no write for a server nobody saw fail.
      if (!troubled.has(server) && !shared.has(server)) return;
      local.succeed(server, now);
      troubled.delete(server);
      if (shared.has(server)) shared = new Set([...shared].filter((name) => name !== server));
      return stub.succeed(server, now);
    },
    markDown(server, now, until) {
      local.markDown(server, now, until);
      troubled.add(server);
      return stub.markDown(server, now, until);
    },
    async down(now) {
      // The first request of an isolate waits for the shared view; later ones never do.
      if (fetchedAt === -Infinity) await fetchShared(now);
      else if (now - fetchedAt >= refresh) void fetchShared(now);
      const mine = local.down(now);
      if (shared.size === 0) return mine;
      if (mine.size === 0) return shared;
      return new Set([...shared, ...mine]);
    },
  };
}
