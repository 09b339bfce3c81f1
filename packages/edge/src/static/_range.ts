import { combineRanges, parse } from 'range-parser';
import type { ByteRange } from './asset-store.ts';

/** What a `Range` header asks of a representation of `size` bytes. */
export type RangeRequest =
  /** Send the whole representation with 200: no usable range. */
  | { readonly kind: 'whole' }
  /** Send one part with 206. */
  | { readonly kind: 'part'; readonly range: ByteRange }
  /** Answer 416: no range overlaps the representation. */
  | { readonly kind: 'unsatisfiable' };

const WHOLE: RangeRequest = { kind: 'whole' };
const UNSATISFIABLE: RangeRequest = { kind: 'unsatisfiable' };

/**
 * Read a `Range` header (RFC 9110 §14.2). A header in another unit or
 * malformed is ignored, as the RFC allows. Several ranges are merged when
 * they overlap or touch; if more than one is left, the whole representation
 * is sent with 200 (also allowed, and what Express does) rather than a
 * multipart/byteranges body that clients hardly ever ask for. An empty
 * representation has no satisfiable byte range but a suffix: 200 too.
 */
export function readRange(header: string, size: number): RangeRequest {
  const result = parse(size, header);
  if (result.type !== 'bytes' || (result.code & 1) !== 0) return WHOLE;
  const ranges = result.ranges;
  if (ranges.length === 0) return (result.code & 2) !== 0 ? UNSATISFIABLE : WHOLE;
  // `bytes=0-` too gets 206: media players (Safari's above all) want one.
  if (ranges.length === 1) return part(ranges[0]!);
  const merged = combineRanges(ranges);
  return merged.length === 1 ? part(merged[0]!) : WHOLE;
}

function part(range: ByteRange): RangeRequest {
  return { kind: 'part', range: { start: range.start, end: range.end } };
}
