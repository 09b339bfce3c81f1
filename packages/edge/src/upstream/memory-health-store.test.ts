import { describe, expect, it } from 'vitest';
import { MemoryHealthStore } from './memory-health-store.ts';

describe('MemoryHealthStore', () => {
  it('takes a server down after maxFails failures within failTimeout, for failTimeout', () => {
    const store = new MemoryHealthStore();
    store.fail('s', 1_000, 3, 10_000);
    store.fail('s', 2_000, 3, 10_000);
    expect(store.down(2_000).has('s')).toBe(false);
    store.fail('s', 3_000, 3, 10_000);
    expect(store.down(3_000).has('s')).toBe(true);
    expect(store.down(12_999).has('s')).toBe(true);
    expect(store.down(13_000).has('s')).toBe(false);
  });

  it('forgets failures older than failTimeout', () => {
    const store = new MemoryHealthStore();
    store.fail('s', 0, 2, 1_000);
    store.fail('s', 1_500, 2, 1_000); // a new streak: the first failure is too old
    expect(store.down(1_500).size).toBe(0);
    store.fail('s', 2_000, 2, 1_000);
    expect(store.down(2_000).has('s')).toBe(true);
  });

  it('forgets failures on a success', () => {
    const store = new MemoryHealthStore();
    store.fail('s', 0, 2, 10_000);
    store.succeed('s', 100);
    store.fail('s', 200, 2, 10_000);
    expect(store.down(200).size).toBe(0);
  });

  it('puts a server that came back after failTimeout on trial: one failure takes it down again', () => {
    const store = new MemoryHealthStore();
    for (const at of [0, 1, 2]) store.fail('s', at, 3, 1_000);
    expect(store.down(500).has('s')).toBe(true);
    expect(store.down(1_002).has('s')).toBe(false);
    store.fail('s', 1_100, 3, 1_000);
    expect(store.down(1_100).has('s')).toBe(true);
    expect(store.down(2_100).has('s')).toBe(false);
    store.succeed('s', 2_200);
    store.fail('s', 2_300, 3, 1_000);
    expect(store.down(2_300).has('s')).toBe(false);
  });

  it('keeps a server down while failures keep coming', () => {
    const store = new MemoryHealthStore();
    store.fail('s', 0, 1, 1_000);
    store.fail('s', 800, 1, 1_000);
    expect(store.down(1_500).has('s')).toBe(true);
  });

  it('never takes a server down with maxFails 0', () => {
    const store = new MemoryHealthStore();
    for (let i = 0; i < 10; i++) store.fail('s', i, 0, 1_000);
    expect(store.down(10).size).toBe(0);
  });

  it('marks servers down and up for active checks', () => {
    const store = new MemoryHealthStore();
    store.markDown('s', 0, 5_000);
    expect(store.down(4_999).has('s')).toBe(true);
    store.markDown('s', 100, 100);
    expect(store.down(200).has('s')).toBe(false);
  });

  it('answers with the same set while nothing changes', () => {
    const store = new MemoryHealthStore();
    const empty = store.down(0);
    expect(store.down(1)).toBe(empty);
    store.fail('s', 10, 1, 1_000);
    const down = store.down(20);
    expect(down).not.toBe(empty);
    expect(store.down(30)).toBe(down);
    expect([...store.down(30)]).toEqual(['s']);
  });
});
