import { describe, expect, it } from 'vitest';
import { SharedDecoder } from '../../../src/server/decoder.js';
import { ProtocolError } from '../../../src/protocol/index.js';
import { frameOf, requestEnvelope } from './fixtures.js';

const LIMIT = 1 << 20;

describe('SharedDecoder', () => {
  it('hands every copy of the same bytes the one decoded request', () => {
    const decoder = new SharedDecoder();
    const bytes = frameOf(requestEnvelope('rpcutil', 'ping'));
    const first = decoder.decode(new Uint8Array(bytes), LIMIT);
    expect(decoder.decode(new Uint8Array(bytes), LIMIT)).toBe(first);
    expect(first.request.message).toMatchObject({ agent: 'rpcutil', action: 'ping' });
  });

  it('decodes different bytes on their own, even of the same length', () => {
    const decoder = new SharedDecoder();
    const a = decoder.decode(frameOf(requestEnvelope('rpcutil', 'ping', {}, { id: 'a'.repeat(32) })), LIMIT);
    const b = decoder.decode(frameOf(requestEnvelope('rpcutil', 'ping', {}, { id: 'b'.repeat(32) })), LIMIT);
    expect(a.request.id).toBe('a'.repeat(32));
    expect(b.request.id).toBe('b'.repeat(32));
  });

  it('reads a copy that sits inside a larger buffer by its own bounds', () => {
    const decoder = new SharedDecoder();
    const bytes = frameOf(requestEnvelope('rpcutil', 'ping'));
    const padded = new Uint8Array(bytes.length + 20);
    padded.set(bytes, 10);
    const first = decoder.decode(bytes, LIMIT);
    expect(decoder.decode(padded.subarray(10, 10 + bytes.length), LIMIT)).toBe(first);
  });

  it('remembers no failure: bad bytes are refused every time', () => {
    const decoder = new SharedDecoder();
    const bad = new TextEncoder().encode('{"not":"a frame"}');
    expect(() => decoder.decode(bad, LIMIT)).toThrow(ProtocolError);
    expect(() => decoder.decode(bad, LIMIT)).toThrow(ProtocolError);
  });

  it('keeps at most its capacity, forgetting the oldest', () => {
    const decoder = new SharedDecoder(2);
    const frames = ['a', 'b', 'c'].map((c) => frameOf(requestEnvelope('rpcutil', 'ping', {}, { id: c.repeat(32) })));
    const first = decoder.decode(frames[0]!, LIMIT);
    decoder.decode(frames[1]!, LIMIT);
    decoder.decode(frames[2]!, LIMIT);
    expect(decoder.decode(frames[0]!, LIMIT)).not.toBe(first);
  });
});
