/**
 * The edge tier on Node: `defineEdge` with the Node transport as its
 * default. Transports and the folder asset store are the `/transport` and
 * `/assets` subpaths.
 *
 * @module
 */
export { defineEdge, type NodeEdgeApp } from './define-edge.ts';
