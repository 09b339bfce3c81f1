import { describe, expect, it } from 'vitest';
import { RoundRobin } from './_round-robin.ts';
import { NONE, servers } from './_test-servers.ts';

function sequence(balancer: RoundRobin, list: { id: string }[], n: number, down: ReadonlySet<string> = NONE): string {
  let out = '';
  for (let i = 0; i < n; i++) {
    const index = balancer.pick(down, undefined);
    out += index === -1 ? '-' : list[index]!.id;
  }
  return out;
}

describe('smooth weighted round-robin', () => {
  it("gives nginx's sequence for weights 5, 1, 1", () => {
    const list = servers(5, 1, 1);
    // nginx's ngx_http_upstream_get_peer documents { a a b a c a a } for these weights.
    expect(sequence(new RoundRobin(list), list, 14)).toBe('aabacaaaabacaa');
  });

  it('alternates equal weights in order', () => {
    const list = servers(1, 1, 1);
    expect(sequence(new RoundRobin(list), list, 7)).toBe('abcabca');
  });

  it('respects weights over any whole cycle and never bursts', () => {
    const list = servers(3, 2, 1);
    const picks = sequence(new RoundRobin(list), list, 600);
    expect([...picks].filter((id) => id === 'a')).toHaveLength(300);
    expect([...picks].filter((id) => id === 'b')).toHaveLength(200);
    expect([...picks].filter((id) => id === 'c')).toHaveLength(100);
    // Each cycle of 6 holds exactly the weights; a never runs more than twice in a row.
    for (let i = 0; i < 600; i += 6) expect(Array.from(picks.slice(i, i + 6)).sort().join('')).toBe('aaabbc');
    expect(picks).not.toMatch(/aaa/);
  });

  it('skips servers that are down or tried, and says when none is left', () => {
    const list = servers(1, 1, 1);
    const balancer = new RoundRobin(list);
    expect(sequence(balancer, list, 4, new Set(['test b']))).toBe('acac');
    expect(balancer.pick(NONE, [list[0]!, list[2]!])).toBe(1);
    expect(balancer.pick(new Set(['test a', 'test b', 'test c']), undefined)).toBe(-1);
  });
});
