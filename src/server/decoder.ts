// Turning request bytes into checked envelopes. A real daemon decodes every message itself; the simulator's virtual
// nodes share one memo, because a broadcast hands thousands of them the very same bytes and a real fleet would decode
// them in parallel on thousands of CPUs. Authentication, TTL, filter, action and reply still run per node.
import { decodeRequestText, frameText, type DecodedRequest } from '../protocol/index.js';

export interface RequestDecoder {
  decode(bytes: Uint8Array, maxSize: number): DecodedRequest;
}

export const directDecoder: RequestDecoder = {
  decode: (bytes, maxSize) => decodeRequestText(frameText(bytes, maxSize)),
};

/**
 * Remembers the last few successfully decoded messages. A broadcast hands every virtual node an identical copy, so
 * bytes are compared first (a memcmp) before any text is made. Results are shared: never mutate them.
 */
export class SharedDecoder implements RequestDecoder {
  private readonly memo: Array<{ bytes: Buffer; decoded: DecodedRequest }> = [];

  constructor(private readonly capacity = 64) {}

  decode(bytes: Uint8Array, maxSize: number): DecodedRequest {
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // Newest first: the message being fanned out now is almost always the last one decoded.
    for (let i = this.memo.length - 1; i >= 0; i--) {
      const entry = this.memo[i]!;
      if (entry.bytes.equals(view)) return entry.decoded;
    }
    const decoded = decodeRequestText(frameText(bytes, maxSize));
    if (this.memo.length >= this.capacity) this.memo.shift();
    this.memo.push({ bytes: Buffer.from(view), decoded });
    return decoded;
  }
}
