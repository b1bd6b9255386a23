import { describe, expect, it } from 'vitest';
import { broadcastSubject, isValidName, newRequestId, newSenderSuffix, nodeSubject, replySubject } from '../../../src/protocol/index.js';

describe('NATS subjects', () => {
  it('follow <collective>.broadcast.agent.<agent>, <collective>.node.<identity>, <collective>.reply.<sender>.<id>', () => {
    expect(broadcastSubject('mcollective', 'rpcutil')).toBe('mcollective.broadcast.agent.rpcutil');
    expect(nodeSubject('mcollective', 'web1.example.net')).toBe('mcollective.node.web1.example.net');
    expect(replySubject('dev', 'ops.ab12', '0123456789abcdef0123456789abcdef')).toBe('dev.reply.ops.ab12.0123456789abcdef0123456789abcdef');
  });

  it('collectives keep their own subject space', () => {
    expect(broadcastSubject('dev', 'rpcutil')).not.toBe(broadcastSubject('mcollective', 'rpcutil'));
    expect(nodeSubject('dev', 'a')).not.toBe(nodeSubject('prod', 'a'));
  });
});

describe('isValidName', () => {
  it('accepts dotted names, digits, _ - :', () => {
    for (const n of ['web1', 'web1.example.net', 'node_1-a', 'ns:host', 'a']) expect(isValidName(n), n).toBe(true);
  });

  it('refuses blanks, wildcards, empty tokens and over-long names', () => {
    for (const n of ['', 'a b', 'a.*', 'a.>', '>', '*', 'a..b', '.a', 'a.', 'a\nb', 'x'.repeat(256)])
      expect(isValidName(n), JSON.stringify(n)).toBe(false);
    expect(isValidName('x'.repeat(255))).toBe(true);
  });
});

describe('ids', () => {
  it('request ids are 32 lower-case hex characters and do not repeat', () => {
    const ids = new Set(Array.from({ length: 1000 }, newRequestId));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[a-f0-9]{32}$/);
  });

  it('sender suffixes are 8 hex characters, valid in a subject', () => {
    const s = newSenderSuffix();
    expect(s).toMatch(/^[a-f0-9]{8}$/);
    expect(isValidName(`host.${s}`)).toBe(true);
  });
});
