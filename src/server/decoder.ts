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

/** Remembers the last few successfully decoded messages by their exact text. Results are shared: never mutate them. */
export class SharedDecoder implements RequestDecoder {
  private readonly memo = new Map<string, DecodedRequest>();

  constructor(private readonly capacity = 64) {}

  decode(bytes: Uint8Array, maxSize: number): DecodedRequest {
    const text = frameText(bytes, maxSize);
    const hit = this.memo.get(text);
    if (hit) return hit;
    const decoded = decodeRequestText(text);
    if (this.memo.size >= this.capacity) this.memo.delete(this.memo.keys().next().value!);
    this.memo.set(text, decoded);
    return decoded;
  }
}
