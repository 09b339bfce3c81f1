import { describe, expect, it } from 'vitest';
import { connectionTokens, isHopByHop, staysOnConnection } from './fields.ts';

describe('field rules', () => {
  it('knows the hop-by-hop fields of RFC 9110 §7.6.1, and no end-to-end one', () => {
    for (const name of ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']) {
      expect(isHopByHop(name), name).toBe(true);
    }
    for (const name of ['content-length', 'content-type', 'host', 'set-cookie', 'cookie', 'x-upgrade']) {
      expect(isHopByHop(name), name).toBe(false);
    }
  });

  it('reads the Connection field as lower-case tokens, without empty ones', () => {
    expect(connectionTokens('Keep-Alive, X-Private ,,Upgrade')).toEqual(['keep-alive', 'x-private', 'upgrade']);
    expect(connectionTokens(' close ')).toEqual(['close']);
    expect(connectionTokens(null)).toEqual([]);
    expect(connectionTokens(undefined)).toEqual([]);
    expect(connectionTokens('')).toEqual([]);
  });

  it('keeps hop-by-hop, Proxy-* and Connection-named fields on their connection', () => {
    const named = connectionTokens('x-private');
    expect(staysOnConnection('x-private', named)).toBe(true);
    expect(staysOnConnection('x-private')).toBe(false);
    expect(staysOnConnection('proxy-authenticate')).toBe(true);
    expect(staysOnConnection('transfer-encoding', named)).toBe(true);
    expect(staysOnConnection('content-type', named)).toBe(false);
  });
});
