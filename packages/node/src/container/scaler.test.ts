import { describe, expect, it } from 'vitest';
import { IdleScaler } from './scaler.ts';

describe('IdleScaler', () => {
  it('adds a worker while every worker is busy, up to the maximum', () => {
    const scaler = new IdleScaler(1, 2, 1_000, 0);
    expect(scaler.sample(0, 1, 0, 0)).toBeUndefined();
    // 1 s with a request in flight 900 ms of it: busy.
    expect(scaler.sample(1_000, 1, 900, 50)).toBe('up');
    // Two workers at 90%: busy, but already at the maximum.
    expect(scaler.sample(2_000, 2, 900 + 1_800, 150)).toBeUndefined();
  });

  it('does not add a worker for a light load', () => {
    const scaler = new IdleScaler(1, 4, 1_000, 0);
    scaler.sample(0, 1, 0, 0);
    expect(scaler.sample(1_000, 1, 300, 30)).toBeUndefined();
    expect(scaler.sample(2_000, 2, 300 + 1_500, 60)).toBeUndefined();
  });

  it('retires one worker per idle period, down to the minimum', () => {
    const scaler = new IdleScaler(1, 3, 1_000, 0);
    scaler.sample(0, 3, 0, 10);
    expect(scaler.sample(500, 3, 0, 10)).toBeUndefined();
    expect(scaler.sample(1_000, 3, 0, 10)).toBe('down');
    expect(scaler.sample(1_500, 2, 0, 10)).toBeUndefined();
    expect(scaler.sample(2_000, 2, 0, 10)).toBe('down');
    expect(scaler.sample(5_000, 1, 0, 10)).toBeUndefined();
  });

  it('any request restarts the idle clock', () => {
    const scaler = new IdleScaler(1, 2, 1_000, 0);
    scaler.sample(0, 2, 0, 0);
    expect(scaler.sample(900, 2, 0, 1)).toBeUndefined();
    expect(scaler.sample(1_500, 2, 0, 1)).toBeUndefined();
    expect(scaler.sample(1_900, 2, 0, 1)).toBe('down');
  });
});
