/** Up to 64 KiB of response body may wait for the client before the upstream socket is paused. */
export const BODY_STRATEGY: QueuingStrategy<Uint8Array> = { highWaterMark: 64 * 1024, size: (chunk) => chunk.byteLength };
