import { describe, expect, it } from 'vitest';
import { LeastInFlight } from './_least-in-flight.ts';
import { RoundRobin } from './_round-robin.ts';
import { NONE, servers } from './_test-servers.ts';

describe('least in flight', () => {
  it('picks the server with the fewest requests in flight', () => {
    const list = servers(1, 1, 1);
    const balancer = new LeastInFlight(list);
    balancer.started(0);
    balancer.started(0);
    balancer.started(1);
    expect(balancer.pick(NONE, undefined)).toBe(2);
    balancer.started(2);
    balancer.started(2);
    expect(balancer.pick(NONE, undefined)).toBe(1);
    balancer.ended(0);
    balancer.ended(0);
    expect(balancer.pick(NONE, undefined)).toBe(0);
  });

  it('weighs requests in flight by weight', () => {
    const list = servers(3, 1);
    const balancer = new LeastInFlight(list);
    balancer.started(0);
    balancer.started(0);
    // 2/3 for a against 0/1 for b: b.
    expect(balancer.pick(NONE, undefined)).toBe(1);
    balancer.started(1);
    // 2/3 against 1/1: a.
    expect(balancer.pick(NONE, undefined)).toBe(0);
  });

  it('breaks ties by weighted round-robin', () => {
    const list = servers(2, 1, 1);
    const balancer = new LeastInFlight(list);
    let picks = '';
    // Nothing ever in flight: all tie, so the order is smooth weighted round-robin's.
    for (let i = 0; i < 8; i++) picks += list[balancer.pick(NONE, undefined)]!.id;
    expect(picks).toBe('abcaabca');
  });

  it('breaks ties among the least loaded only', () => {
    const list = servers(1, 1, 1);
    const balancer = new LeastInFlight(list);
    const roundRobin = new RoundRobin([list[0]!, list[2]!]);
    balancer.started(1);
    // b is busy: a and c tie, and alternate as round-robin over them would.
    for (let i = 0; i < 6; i++) {
      const expected = roundRobin.pick(NONE, undefined) === 0 ? 0 : 2;
      expect(balancer.pick(NONE, undefined)).toBe(expected);
    }
  });

  it('skips servers that are down or tried', () => {
    const list = servers(1, 1);
    const balancer = new LeastInFlight(list);
    balancer.started(1);
    expect(balancer.pick(new Set(['test a']), undefined)).toBe(1);
    expect(balancer.pick(NONE, [list[0]!])).toBe(1);
    expect(balancer.pick(NONE, [list[0]!, list[1]!])).toBe(-1);
  });
});
