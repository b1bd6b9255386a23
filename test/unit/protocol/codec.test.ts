import { describe, expect, it } from 'vitest';
import {
  PROTOCOL,
  ProtocolError,
  buildReplyFrame,
  buildRequestFrame,
  checkSecureReply,
  checkSecureRequest,
  decodeFrame,
  decodeReply,
  decodeRequest,
  encodeFrame,
  newRequestId,
  sha256Hex,
  type ReplyEnvelope,
  type RequestEnvelope,
} from '../../../src/protocol/index.js';
import { emptyFilter } from '../../../src/filter/index.js';
import { craftRequest } from '../../helpers/requests.js';

const MAX = 64 * 1024;

const request = (over: Partial<RequestEnvelope> = {}): RequestEnvelope =>
  craftRequest('user=ops', { sender: 'ops.example.net.ab12cd34', ...over });

function reply(over: Partial<ReplyEnvelope> = {}): ReplyEnvelope {
  return {
    protocol: PROTOCOL.reply,
    request_id: newRequestId(),
    sender: 'node1.example.net',
    agent: 'rpcutil',
    action: 'ping',
    time: Date.now(),
    message: { statuscode: 0, statusmsg: 'OK', data: { pong: 1 } },
    ...over,
  };
}

const bytes = (text: string) => new TextEncoder().encode(text);

/** Runs fn and returns the ProtocolError it throws (fails when it throws anything else, or nothing). */
function protocolError(fn: () => unknown): ProtocolError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return err as ProtocolError;
  }
  throw new Error('expected a ProtocolError');
}

describe('request layers round trip', () => {
  it('RPC body → request → secure request → transport frame → and back', () => {
    const req = request({ filter: { ...emptyFilter(), fact: [{ fact: 'os.family', operator: '==', value: 'Debian' }] } });
    const text = JSON.stringify(req);
    const frameBytes = encodeFrame(
      buildRequestFrame({ protocol: PROTOCOL.secureRequest, request: text }, req.sender, 'mcollective.reply.x.1'),
    );

    const frame = decodeFrame(frameBytes, MAX);
    expect(frame).toMatchObject({ protocol: PROTOCOL.transport, sender: req.sender, reply_to: 'mcollective.reply.x.1' });
    const secure = checkSecureRequest(frame.data);
    expect(secure.request).toBe(text);
    expect(decodeRequest(secure.request)).toEqual(req);
  });

  it('reply layers round trip, the hash covering the exact reply text', () => {
    const env = reply();
    const text = JSON.stringify(env);
    const frame = decodeFrame(
      encodeFrame(buildReplyFrame({ protocol: PROTOCOL.secureReply, reply: text, hash: sha256Hex(text) }, env.sender)),
      MAX,
    );
    expect(frame.reply_to).toBeUndefined();
    const secure = checkSecureReply(frame.data);
    expect(secure.hash).toBe(sha256Hex(secure.reply));
    expect(decodeReply(secure.reply)).toEqual(env);
  });

  it('sha256Hex is the hex SHA-256 of the UTF-8 text', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('decodeFrame rejects', () => {
  const valid = () => encodeFrame(buildRequestFrame({ protocol: PROTOCOL.secureRequest, request: JSON.stringify(request()) }, 'me', 'r'));

  it('messages larger than the limit, before reading them', () => {
    const frame = valid();
    const e = protocolError(() => decodeFrame(frame, frame.byteLength - 1));
    expect(e.code).toBe('oversize');
    expect(e.message).toContain(`${frame.byteLength} bytes`);
    expect(decodeFrame(frame, frame.byteLength).protocol).toBe(PROTOCOL.transport);
  });

  it('bytes that are not UTF-8', () => {
    expect(protocolError(() => decodeFrame(new Uint8Array([0xff, 0xfe, 0x00, 0xc3]), MAX)).code).toBe('malformed');
  });

  it('text that is not JSON', () => {
    for (const text of ['', 'hello', '{"protocol":', '{{}}', 'null x']) {
      expect(protocolError(() => decodeFrame(bytes(text), MAX)).code).toBe('malformed');
    }
  });

  it('JSON that is not a transport frame', () => {
    const cases: unknown[] = [
      null,
      42,
      'frame',
      [],
      {},
      { protocol: 'troupe:transport:2', sender: 'a', data: {} },
      { protocol: PROTOCOL.transport, data: {} },
      { protocol: PROTOCOL.transport, sender: '', data: {} },
      { protocol: PROTOCOL.transport, sender: 'a', data: 'text' },
      { protocol: PROTOCOL.transport, sender: 'a', data: {}, extra: 1 },
      { protocol: PROTOCOL.transport, sender: 'a', data: {}, reply_to: '' },
    ];
    for (const c of cases) {
      const e = protocolError(() => decodeFrame(bytes(JSON.stringify(c)), MAX));
      expect(e.code, JSON.stringify(c)).toBe('schema');
      expect(e.message).toMatch(/^transport frame /);
    }
  });

  it('reply addresses that could not be a single subject (blanks, line breaks)', () => {
    for (const reply_to of ['a b', 'x\r\nUNSUB 1', 'tab\there']) {
      const frame = { protocol: PROTOCOL.transport, sender: 'a', reply_to, data: {} };
      expect(protocolError(() => decodeFrame(bytes(JSON.stringify(frame)), MAX)).code, JSON.stringify(reply_to)).toBe('schema');
    }
  });
});

describe('secure request and request envelope schemas', () => {
  it('secure request: protocol, a request text, nothing unknown', () => {
    expect(checkSecureRequest({ protocol: PROTOCOL.secureRequest, request: '{}' }).request).toBe('{}');
    for (const bad of [
      {},
      { protocol: PROTOCOL.secureRequest },
      { protocol: PROTOCOL.secureRequest, request: 1 },
      { protocol: PROTOCOL.secureRequest, request: '{}', x: 1 },
      { protocol: PROTOCOL.secureReply, request: '{}' },
    ]) {
      expect(protocolError(() => checkSecureRequest(bad)).code).toBe('schema');
    }
  });

  const broken: Array<[string, Record<string, unknown>]> = [
    ['a short id', { id: 'abc' }],
    ['an upper-case id', { id: 'A'.repeat(32) }],
    ['a sender with a blank', { sender: 'ops host' }],
    ['a sender with a wildcard', { sender: 'ops.*' }],
    ['an empty caller', { caller: '' }],
    ['a collective with a dot', { collective: 'mc.prod' }],
    ['an agent name with capitals', { agent: 'RpcUtil' }],
    ['ttl 0', { ttl: 0 }],
    ['a fractional ttl', { ttl: 1.5 }],
    ['a ttl over a day', { ttl: 86401 }],
    ['a negative time', { time: -1 }],
    ['a time as text', { time: '2024-01-01' }],
    ['a filter missing a kind', { filter: { fact: [], cf_class: [], agent: [], identity: [] } }],
    ['a fact filter with an unknown operator', { filter: { ...emptyFilter(), fact: [{ fact: 'a', operator: '~=', value: 'b' }] } }],
    ['an action name with a blank', { message: { agent: 'rpcutil', action: 'p ing', data: {} } }],
    ['data that is not an object', { message: { agent: 'rpcutil', action: 'ping', data: [] } }],
    ['an unknown field', { extra: true }],
    ['the wrong protocol', { protocol: 'troupe:request:0' }],
  ];
  for (const [what, over] of broken) {
    it(`rejects ${what}`, () => {
      const e = protocolError(() => decodeRequest(JSON.stringify({ ...request(), ...over })));
      expect(e.code).toBe('schema');
      expect(e.message).toMatch(/^request /);
    });
  }

  it('rejects every missing required field', () => {
    for (const field of ['protocol', 'id', 'sender', 'caller', 'collective', 'agent', 'ttl', 'time', 'filter', 'message']) {
      const req: Record<string, unknown> = { ...request() };
      delete req[field];
      const e = protocolError(() => decodeRequest(JSON.stringify(req)));
      expect(e.code).toBe('schema');
      expect(e.message).toContain(field);
    }
  });

  it('a request that is not JSON is malformed, not a schema failure', () => {
    expect(protocolError(() => decodeRequest('{"id":')).code).toBe('malformed');
  });
});

describe('reply schemas', () => {
  it('secure reply needs a 64-hex hash', () => {
    const text = JSON.stringify(reply());
    expect(() => checkSecureReply({ protocol: PROTOCOL.secureReply, reply: text, hash: sha256Hex(text) })).not.toThrow();
    expect(protocolError(() => checkSecureReply({ protocol: PROTOCOL.secureReply, reply: text, hash: 'abc' })).code).toBe('schema');
    expect(protocolError(() => checkSecureReply({ protocol: PROTOCOL.secureReply, reply: text })).code).toBe('schema');
  });

  it('status codes are 0 to 5, integers', () => {
    for (const code of [0, 1, 2, 3, 4, 5]) {
      expect(decodeReply(JSON.stringify(reply({ message: { statuscode: code, statusmsg: 'x', data: {} } }))).message.statuscode).toBe(code);
    }
    for (const code of [-1, 6, 1.5, '0']) {
      const text = JSON.stringify({ ...reply(), message: { statuscode: code, statusmsg: 'x', data: {} } });
      expect(protocolError(() => decodeReply(text)).code).toBe('schema');
    }
  });

  it('rejects a reply with no request id or an unknown field', () => {
    const { request_id: _, ...noId } = reply();
    expect(protocolError(() => decodeReply(JSON.stringify(noId))).code).toBe('schema');
    expect(protocolError(() => decodeReply(JSON.stringify({ ...reply(), extra: 1 }))).code).toBe('schema');
  });
});
