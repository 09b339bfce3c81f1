import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.ts';

describe('Backoff', () => {
  it('respawns at once, then doubles while the worker keeps dying young, up to the cap', () => {
    const backoff = new Backoff(100, 1_000, 10_000);
    expect([0, 1, 2, 3, 4, 5].map(() => backoff.next(50))).toEqual([0, 100, 200, 400, 800, 1_000]);
  });

  it('starts over after a worker lived long enough', () => {
    const backoff = new Backoff(100, 1_000, 10_000);
    backoff.next(50);
    backoff.next(50);
    expect(backoff.next(10_000)).toBe(0);
    expect(backoff.next(50)).toBe(100);
  });
});
