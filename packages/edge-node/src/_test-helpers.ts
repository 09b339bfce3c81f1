import type { App } from '@gatehouse/core';
import { type NodeServer, serve, type ServeOptions } from '@gatehouse/node';
import { serverSet } from '@gatehouse/test-support/servers';

/** Servers started by a test file, closed by `closeAll` in its afterEach. */
const servers = serverSet<App, ServeOptions, NodeServer>(serve, { port: 0, onError: () => {} });
export const start: (app: App, options?: ServeOptions) => Promise<NodeServer> = servers.start;
export const closeAll: () => Promise<void> = servers.closeAll;

export { deferred, rawExchange, readUntil, request, sleep, socketTo, within } from '@gatehouse/test-support/sockets';
