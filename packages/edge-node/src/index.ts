/**
 * The edge tier on Node: `defineEdge` with the Node transport and temp
 * files for request bodies as its defaults, and `fileSpill` for those
 * files. Transports and the folder asset store are the `/transport` and
 * `/assets` subpaths.
 *
 * @module
 */
export { defineEdge, type NodeEdgeApp } from './define-edge.ts';
export { fileSpill, type FileSpillOptions } from './file-spill.ts';
