/**
 * The Node HTTP servers the bench sets side by side (files in servers/,
 * each started with its port, then `args`). Raw node:http and the floors
 * are yardsticks; the others are adapters.
 */
export const RAW = 'raw node:http';
export const FLOOR = '(floor: real Request/Response)';
export const FLOOR_BACKPRESSURE = '(floor + backpressure)';
export const OURS = '@gatehouse/node';
export const HONO = '@hono/node-server';
export const HONO_KEPT = '@hono/node-server (globals kept)';
export const SRVX = 'srvx';

export interface NodeServerEntry {
  name: string;
  file: string;
  args: readonly string[];
  /** Where it differs from another entry on some rows only: those rows (else every row). */
  rows?: readonly string[];
}

export const NODE_SERVERS: readonly NodeServerEntry[] = [
  { name: RAW, file: 'raw-node.ts', args: [] },
  { name: FLOOR, file: 'genuine-floor.ts', args: [] },
  // The floor waiting for 'drain': the same as the floor on every answer within Node's 64 KiB high-water mark.
  { name: FLOOR_BACKPRESSURE, file: 'genuine-floor.ts', args: ['backpressure'], rows: ['100 KiB stream'] },
  { name: OURS, file: 'gatehouse.ts', args: [] },
  { name: HONO, file: 'hono-node-server.ts', args: [] },
  { name: HONO_KEPT, file: 'hono-node-server-globals-kept.ts', args: [] },
  { name: SRVX, file: 'srvx.ts', args: [] },
];

/** The peers that leave the global Request and Response alone, as Gatehouse does. */
export const KEEP_GLOBALS: readonly string[] = [HONO_KEPT, SRVX];
