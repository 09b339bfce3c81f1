import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, start } from './_test-helpers.ts';
import type { TrustProxy } from './options.ts';

afterEach(closeAll);

const whoAmI = {
  fetch: (request: Request, _env: unknown, ctx: { clientAddress: string | undefined }) =>
    Response.json({ address: ctx.clientAddress, url: request.url }),
};

async function ask(trustProxy: TrustProxy | undefined, headers: Record<string, string>) {
  const server = await start(whoAmI, trustProxy === undefined ? {} : { trustProxy });
  return (await (await fetch(server.url, { headers })).json()) as { address: string; url: string };
}

const forwarded = { 'x-forwarded-for': '203.0.113.7, 198.51.100.2, 10.0.0.5', 'x-forwarded-proto': 'https' };

describe('client address and scheme', () => {
  it('believes nobody by default: the socket peer, the socket scheme', async () => {
    const seen = await ask(undefined, forwarded);
    expect(seen.address).toBe('127.0.0.1');
    expect(seen.url).toMatch(/^http:\/\//);
  });

  it('with trustProxy: true, takes the leftmost address and the forwarded scheme', async () => {
    const seen = await ask(true, forwarded);
    expect(seen.address).toBe('203.0.113.7');
    expect(seen.url).toMatch(/^https:\/\//);
  });

  it('with a hop count, skips that many proxies from the right', async () => {
    expect((await ask(1, forwarded)).address).toBe('10.0.0.5');
    expect((await ask(2, forwarded)).address).toBe('198.51.100.2');
    expect((await ask(10, forwarded)).address).toBe('203.0.113.7');
  });

  it('with a function, walks left while the hop is trusted', async () => {
    const isOurs = (address: string) => address === '127.0.0.1' || address.startsWith('10.');
    expect((await ask(isOurs, forwarded)).address).toBe('198.51.100.2');
    // A peer that is not ours is the client, whatever it forwards.
    expect((await ask((a) => a === '192.0.2.1', forwarded)).address).toBe('127.0.0.1');
  });

  it('ignores a forwarded scheme that is neither http nor https', async () => {
    const seen = await ask(true, { 'x-forwarded-proto': 'javascript' });
    expect(seen.url).toMatch(/^http:\/\//);
  });

  it('falls back to the peer when the header is empty', async () => {
    expect((await ask(true, { 'x-forwarded-for': ' , ' })).address).toBe('127.0.0.1');
  });
});
