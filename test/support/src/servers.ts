/** Something a test starts and must close: a server of `@gatehouse/node`, say. */
interface Closable {
  close(): Promise<void>;
}

/**
 * `start` and `closeAll` for a test file: `start` serves an App with
 * `serve`, on a free port, errors silenced; `closeAll` (in an `afterEach`)
 * closes every server started since.
 */
export function serverSet<App, Options extends object, Server extends Closable>(
  serve: (app: App, options: Options) => Promise<Server>,
  defaults: Options,
): { start(app: App, options?: Options): Promise<Server>; closeAll(): Promise<void> } {
  const open = new Set<Server>();
  return {
    async start(app, options) {
      const server = await serve(app, { ...defaults, ...options });
      open.add(server);
      return server;
    },
    async closeAll() {
      await Promise.all([...open].map((server) => server.close()));
      open.clear();
    },
  };
}
