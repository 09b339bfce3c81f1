import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { staysOnConnection } from '@gatehouse/core';
import { defineEdge, fetchTransport, type EdgeApp, type Transport } from '@gatehouse/edge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, start } from '../_test-helpers.ts';
import { defineEdge as defineNodeEdge, type NodeEdgeApp } from '../define-edge.ts';
import { http1Transport } from './http1-transport.ts';
import type { PooledTransport } from './pooled-transport.ts';
import { undiciTransport } from './undici-transport.ts';

/** The fields the origin received last, in order, names in lower case. */
let received: string[][] = [];
let origin: Server;
let originUrl: string;
const pooled: PooledTransport[] = [];

beforeAll(async () => {
  origin = createServer((req, res) => {
    const fields: string[][] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) fields.push([req.rawHeaders[i]!.toLowerCase(), req.rawHeaders[i + 1]!]);
    received = fields;
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
  originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await closeAll();
  await Promise.all(pooled.map((transport) => transport.close()));
  await new Promise((resolve) => origin.close(resolve));
});

/** What the client sends: its own fields, a hop-by-hop one the edge must drop, and a body for POST. */
const CLIENT_FIELDS: Record<string, string> = {
  accept: 'application/json',
  'x-client': 'yes',
  cookie: 'a=1',
  'x-hop': 'dropped',
  connection: 'x-hop',
};

/** An edge that proxies everything to the origin, through `transport`, or the Node edge's default when none. */
function proxyingEdge(transport?: Transport): EdgeApp | NodeEdgeApp {
  const config = { pools: { app: { servers: [originUrl] } }, routes: { '/': { proxy: 'app' } } };
  return transport === undefined ? defineNodeEdge(config) : defineEdge({ ...config, transport });
}

async function through(edgeApp: EdgeApp, method: 'GET' | 'POST'): Promise<{ endToEnd: string[][]; hopByHop: string[] }> {
  const edge = await start(edgeApp);
  const body = method === 'POST' ? 'payload' : undefined;
  await new Promise<void>((resolve, reject) => {
    const headers = body === undefined ? CLIENT_FIELDS : { ...CLIENT_FIELDS, 'content-type': 'text/plain', 'content-length': String(body.length) };
    const req = httpRequest(new URL('/path', edge.url), { method, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end(body);
  });
  // Fields about the hop to the origin (Connection, framing) are each transport's own business.
  const endToEnd = received.filter(([name]) => !staysOnConnection(name!));
  const hopByHop = received.filter(([name]) => staysOnConnection(name!)).map(([name]) => name!);
  return { endToEnd, hopByHop };
}

/** The client's end-to-end fields, then Host and the edge's X-Forwarded-*, nothing else (nginx adds none either). */
function expected(edgePort: string, method: 'GET' | 'POST'): string[][] {
  const fields = [['accept', 'application/json'], ['x-client', 'yes'], ['cookie', 'a=1']];
  if (method === 'POST') fields.push(['content-type', 'text/plain'], ['content-length', '7']);
  return [['host', new URL(originUrl).host], ...fields, ['x-forwarded-for', '127.0.0.1'], ['x-forwarded-proto', 'http'], ['x-forwarded-host', edgePort]];
}

function sorted(fields: string[][]): string[] {
  return fields.map(([name, value]) => `${name}: ${value}`).sort();
}

describe('the fields an origin receives through the edge', () => {
  for (const [name, make] of [
    ['http1Transport', () => http1Transport()],
    ['undiciTransport', () => undiciTransport()],
  ] as const) {
    for (const method of ['GET', 'POST'] as const) {
      it(`are exactly the client's and the edge's own, through ${name} (${method})`, async () => {
        const transport = make();
        pooled.push(transport);
        const { endToEnd, hopByHop } = await through(proxyingEdge(transport), method);
        const forwardedHost = endToEnd.find(([field]) => field === 'x-forwarded-host')![1]!;
        // In any order: the client's own order is its HTTP library's.
        expect(sorted(endToEnd)).toEqual(sorted(expected(forwardedHost, method)));
        expect(hopByHop).not.toContain('x-hop');
      });
    }
  }

  for (const method of ['GET', 'POST'] as const) {
    it(`are exactly the client's and the edge's own, through defineEdge from @gatehouse/edge-node with no transport set (${method})`, async () => {
      const edge = proxyingEdge() as NodeEdgeApp;
      const { endToEnd } = await through(edge, method);
      const forwardedHost = endToEnd.find(([field]) => field === 'x-forwarded-host')![1]!;
      expect(sorted(endToEnd)).toEqual(sorted(expected(forwardedHost, method)));
      await edge.close();
    });
  }

  it("are not, through fetchTransport on Node: Node's fetch adds the fields the Fetch standard gives every request (a known limit)", async () => {
    const { endToEnd } = await through(proxyingEdge(fetchTransport), 'GET');
    const names = endToEnd.map(([name]) => name);
    for (const added of ['accept-language', 'sec-fetch-mode', 'user-agent', 'accept-encoding']) expect(names).toContain(added);
  });
});
