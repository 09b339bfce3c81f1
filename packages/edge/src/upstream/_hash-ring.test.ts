import { describe, expect, it } from 'vitest';
import { HashRing } from './_hash-ring.ts';
import { NONE, servers } from './_test-servers.ts';

const KEYS = Array.from({ length: 20_000 }, (_, i) => `session-${i}`);

function owners(ring: HashRing, list: { id: string }[], down: ReadonlySet<string> = NONE): string[] {
  return KEYS.map((key) => list[ring.pick(down, undefined, key)]!.id);
}

describe('consistent hashing', () => {
  it('sends a key to the same server every time, in every instance', () => {
    const list = servers(1, 1, 1, 1);
    const first = new HashRing(list);
    const second = new HashRing(list);
    for (const key of ['alice', 'bob', '203.0.113.9', 'x']) {
      const index = first.pick(NONE, undefined, key);
      expect(first.pick(NONE, undefined, key)).toBe(index);
      expect(second.pick(NONE, undefined, key)).toBe(index);
    }
  });

  it('spreads keys about evenly, and by weight', () => {
    const even = servers(1, 1, 1, 1);
    const counts = new Map<string, number>();
    for (const id of owners(new HashRing(even), even)) counts.set(id, (counts.get(id) ?? 0) + 1);
    for (const count of counts.values()) expect(count / KEYS.length).toBeGreaterThan(0.2);
    for (const count of counts.values()) expect(count / KEYS.length).toBeLessThan(0.3);

    const weighted = servers(3, 1);
    const share = owners(new HashRing(weighted), weighted).filter((id) => id === 'a').length / KEYS.length;
    expect(share).toBeGreaterThan(0.68);
    expect(share).toBeLessThan(0.82);
  });

  it('moves only about 1/N of the keys when a server is added or removed', () => {
    const four = servers(1, 1, 1, 1);
    const five = servers(1, 1, 1, 1, 1);
    const before = owners(new HashRing(four), four);
    const after = owners(new HashRing(five), five);
    const moved = before.filter((id, i) => id !== after[i]);
    // Every moved key went to the new server, e, and about a fifth moved.
    expect(after.filter((id, i) => id !== before[i] && id !== 'e')).toEqual([]);
    expect(moved.length / KEYS.length).toBeGreaterThan(0.15);
    expect(moved.length / KEYS.length).toBeLessThan(0.25);
  });

  it('gives the keys of a server that is down to the next ones on the ring, and only those', () => {
    const list = servers(1, 1, 1, 1);
    const ring = new HashRing(list);
    const healthy = owners(ring, list);
    const withoutB = owners(ring, list, new Set(['test b']));
    const moved = KEYS.filter((_, i) => withoutB[i] !== healthy[i]);
    expect(moved).toEqual(KEYS.filter((_, i) => healthy[i] === 'b'));
    expect(withoutB).not.toContain('b');
    // Spread over the others, not dumped on one.
    const heirs = new Set(withoutB.filter((_, i) => healthy[i] === 'b'));
    expect(heirs.size).toBe(3);
  });

  it('walks on to the next server on the ring when the key’s server was tried', () => {
    const list = servers(1, 1, 1);
    const ring = new HashRing(list);
    const first = ring.pick(NONE, undefined, 'alice');
    const second = ring.pick(NONE, [list[first]!], 'alice');
    expect(second).not.toBe(first);
    expect(ring.pick(new Set([list[first]!.key]), undefined, 'alice')).toBe(second);
    expect(ring.pick(NONE, list, 'alice')).toBe(-1);
  });

  it('goes round-robin without a key', () => {
    const list = servers(1, 1);
    const ring = new HashRing(list);
    expect([0, 1, 2, 3].map(() => ring.pick(NONE, undefined, undefined))).toEqual([0, 1, 0, 1]);
  });
});
