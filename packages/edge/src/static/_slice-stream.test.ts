import { describe, expect, it } from 'vitest';
import { sliceStream } from './_slice-stream.ts';

/** A stream of `text` in chunks of the given sizes, which records whether it was cancelled and how far it was read. */
function source(text: string, sizes: number[]): { stream: ReadableStream<Uint8Array>; state: { cancelled: boolean; pulled: number } } {
  const bytes = new TextEncoder().encode(text);
  const state = { cancelled: false, pulled: 0 };
  let offset = 0;
  let i = 0;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (offset >= bytes.byteLength) {
          controller.close();
          return;
        }
        const size = sizes[i++ % sizes.length]!;
        controller.enqueue(bytes.slice(offset, offset + size));
        offset += size;
        state.pulled = Math.min(offset, bytes.byteLength);
      },
      cancel() {
        state.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, state };
}

const text = 'abcdefghijklmnopqrstuvwxyz';

describe('sliceStream', () => {
  it.each([
    [0, 25, [26]],
    [0, 0, [1]],
    [3, 7, [1]],
    [3, 7, [4]],
    [3, 7, [3, 5]],
    [4, 4, [5]],
    [20, 25, [7]],
    [25, 25, [10]],
    [0, 25, [0, 3]],
  ])('bytes %i-%i from chunks of %j', async (start, end, sizes) => {
    const { stream } = source(text, sizes);
    expect(await new Response(sliceStream(stream, start, end)).text()).toBe(text.slice(start, end + 1));
  });

  it('stops reading and cancels the source once the range is out', async () => {
    const { stream, state } = source(text, [2]);
    expect(await new Response(sliceStream(stream, 1, 4)).text()).toBe('bcde');
    expect(state.pulled).toBe(6);
    expect(state.cancelled).toBe(true);
  });

  it('fails when the source is shorter than the range', async () => {
    const { stream } = source('abc', [2]);
    await expect(new Response(sliceStream(stream, 1, 5)).text()).rejects.toThrow(/ended at byte 3/);
  });

  it('passes a cancel on to the source', async () => {
    const { stream, state } = source(text, [2]);
    await sliceStream(stream, 0, 10).cancel();
    expect(state.cancelled).toBe(true);
  });
});
