import { describe, expect, it } from 'vitest';
import { DDLError, loadDDLFile, missingRequiredInputs, parseDDL, validateInputs } from '../../../src/ddl/index.js';
import { RPCUTIL_DDL_PATH, sampleDDL, sampleJSON } from './fixture.js';

const ddl = sampleDDL();
const echo = (data: Record<string, unknown>) => validateInputs(ddl, 'echo', { message: 'hello', ...data });
const run = (data: Record<string, unknown>) => validateInputs(ddl, 'run', { command: 'ls -l', ...data });

function rejected(check: ReturnType<typeof validateInputs>): { statuscode: number; message: string } {
  if (check.ok) throw new Error(`expected a rejection, got ${JSON.stringify(check.data)}`);
  return { statuscode: check.statuscode, message: check.message };
}

describe('validateInputs: status codes', () => {
  it('2 for an unknown action', () => {
    expect(rejected(validateInputs(ddl, 'explode', {}))).toEqual({
      statuscode: 2,
      message: "Unknown action 'explode' for agent 'sample'",
    });
  });

  it('2 for names inherited from Object.prototype', () => {
    expect(rejected(validateInputs(ddl, 'toString', {})).statuscode).toBe(2);
  });

  it('3 for a missing required input, even when another input is also invalid', () => {
    expect(rejected(validateInputs(ddl, 'echo', { count: 'many' }))).toEqual({
      statuscode: 3,
      message: "Missing required input 'message'",
    });
  });

  it('4 for data that is not an object', () => {
    expect(rejected(validateInputs(ddl, 'echo', ['hello']))).toEqual({
      statuscode: 4,
      message: 'Request data should be a JSON object',
    });
    expect(rejected(validateInputs(ddl, 'echo', 'hello')).statuscode).toBe(4);
  });

  it('treats missing data as no inputs', () => {
    expect(validateInputs(ddl, 'stats', undefined)).toEqual({ ok: true, data: {} });
    expect(validateInputs(ddl, 'stats', null)).toEqual({ ok: true, data: {} });
    expect(rejected(validateInputs(ddl, 'echo', null)).statuscode).toBe(3);
  });

  it('4 for an undeclared input', () => {
    expect(rejected(echo({ colour: 'red' }))).toEqual({
      statuscode: 4,
      message: "Input 'colour' is not declared for action 'echo'",
    });
  });

  it('accepts undeclared inputs when the action takes additional inputs', () => {
    const check = validateInputs(ddl, 'resource', { type: 'file', path: '/etc/motd', ensure: 'present' });
    expect(check).toEqual({ ok: true, data: { type: 'file', path: '/etc/motd', ensure: 'present' } });
    expect(rejected(validateInputs(ddl, 'resource', { type: 3, path: 'x' })).message).toBe("Input 'type' should be a string");
  });
});

describe('validateInputs: types', () => {
  const cases: Array<[string, unknown, unknown, string]> = [
    ['message', 'hi there', 42, "Input 'message' should be a string"],
    ['count', 3, 2.5, "Input 'count' should be an integer"],
    ['count', -7, '3', "Input 'count' should be an integer"],
    ['ratio', 0.25, 'half', "Input 'ratio' should be a number"],
    ['ratio', 4, true, "Input 'ratio' should be a number"],
    ['loud', false, 'yes', "Input 'loud' should be a boolean"],
    ['mode', 'slow', 'medium', "Input 'mode' should be one of fast, slow, 3"],
    ['mode', 3, '3', "Input 'mode' should be one of fast, slow, 3"],
    ['options', { a: 1 }, [1], "Input 'options' should be a hash (JSON object)"],
    ['options', {}, null, "Input 'options' should be a hash (JSON object)"],
    ['tags', ['a', 'b'], 'a,b', "Input 'tags' should be an array"],
  ];

  for (const [input, good, bad, message] of cases) {
    it(`${input}: accepts ${JSON.stringify(good)}, rejects ${JSON.stringify(bad)}`, () => {
      const ok = echo({ [input]: good });
      expect(ok.ok).toBe(true);
      expect(ok.ok && ok.data[input]).toEqual(good);
      expect(rejected(echo({ [input]: bad }))).toEqual({ statuscode: 4, message });
    });
  }
});

describe('validateInputs: string rules', () => {
  it('applies the validation regex', () => {
    expect(rejected(echo({ message: 'Hello!' }))).toEqual({
      statuscode: 4,
      message: "Input 'message' does not match ^[a-z ]+$",
    });
  });

  it('applies maxlength in characters, not bytes', () => {
    expect(echo({ message: 'a'.repeat(12) }).ok).toBe(true);
    expect(rejected(echo({ message: 'a'.repeat(13) }))).toEqual({
      statuscode: 4,
      message: "Input 'message' is longer than 12 characters",
    });
    const rpcutil = loadDDLFile(RPCUTIL_DDL_PATH);
    expect(validateInputs(rpcutil, 'get_config_item', { item: 'é'.repeat(120) }).ok).toBe(true);
    expect(validateInputs(rpcutil, 'get_config_item', { item: 'é'.repeat(121) })).toMatchObject({
      ok: false,
      message: "Input 'item' is longer than 120 characters",
    });
  });

  it('accepts Ruby-style escapes in DDL regexes', () => {
    const rpcutil = loadDDLFile(RPCUTIL_DDL_PATH);
    expect(validateInputs(rpcutil, 'get_fact', { fact: 'os.distro:codename' }).ok).toBe(true);
    expect(validateInputs(rpcutil, 'get_fact', { fact: 'os family' })).toMatchObject({ ok: false, statuscode: 4 });
    expect(validateInputs(rpcutil, 'get_facts', { facts: 'kernel, os.family,uptime' }).ok).toBe(true);
    expect(validateInputs(rpcutil, 'get_facts', { facts: 'kernel;rm' }).ok).toBe(false);

    // `\:` is an identity escape Ruby allows and JavaScript only allows without the `u` flag.
    const json = sampleJSON();
    json['actions'].echo.input.message.validation = '^[a-z\\:]+$';
    const ruby = parseDDL(json);
    expect(validateInputs(ruby, 'echo', { message: 'os:family' }).ok).toBe(true);
    expect(validateInputs(ruby, 'echo', { message: 'os family' }).ok).toBe(false);
  });
});

describe('validateInputs: named validators', () => {
  for (const c of ['`', '$', ';', '|', '&', '>', '<']) {
    it(`shellsafe rejects ${c}`, () => {
      expect(rejected(run({ command: `ls ${c} x` }))).toEqual({
        statuscode: 4,
        message: `Input 'command' is not shell safe: it contains '${c}'`,
      });
    });
  }

  it('shellsafe rejects line breaks and accepts ordinary commands', () => {
    expect(rejected(run({ command: 'ls\nrm -rf /' })).message).toBe("Input 'command' is not shell safe: it contains a line break");
    expect(rejected(run({ command: 'ls\rx' })).statuscode).toBe(4);
    expect(run({ command: 'service nginx restart --now "quoted"' }).ok).toBe(true);
  });

  it('ipv4address, ipv6address and ipaddress', () => {
    expect(run({ v4: '192.168.1.10' }).ok).toBe(true);
    expect(rejected(run({ v4: '192.168.1.300' })).message).toBe("Input 'v4' should be an IPv4 address");
    expect(rejected(run({ v4: '::1' })).message).toBe("Input 'v4' should be an IPv4 address");
    expect(run({ v6: 'fe80::1' }).ok).toBe(true);
    expect(rejected(run({ v6: '10.0.0.1' })).message).toBe("Input 'v6' should be an IPv6 address");
    expect(run({ host: '10.0.0.1' }).ok).toBe(true);
    expect(run({ host: '2001:db8::2' }).ok).toBe(true);
    expect(rejected(run({ host: 'example.org' })).message).toBe("Input 'host' should be an IP address");
  });

  it('boolean', () => {
    expect(run({ flag: true }).ok).toBe(true);
    expect(rejected(run({ flag: 'true' })).statuscode).toBe(4);
  });
});

describe('validateInputs: defaults', () => {
  it('fills declared defaults without touching the caller data', () => {
    const data = { message: 'hi' };
    const check = validateInputs(ddl, 'echo', data);
    expect(check).toEqual({ ok: true, data: { message: 'hi', count: 1, tags: ['x'] } });
    expect(data).toEqual({ message: 'hi' });
  });

  it('keeps given values over defaults', () => {
    expect(echo({ count: 5 })).toMatchObject({ ok: true, data: { count: 5 } });
  });

  it('hands out a fresh copy of object defaults each time', () => {
    const first = echo({});
    (first.ok ? (first.data['tags'] as string[]) : []).push('mutated');
    expect(echo({})).toMatchObject({ ok: true, data: { tags: ['x'] } });
  });

  it('treats an explicit null as a value, not as absent', () => {
    expect(rejected(echo({ count: null })).message).toBe("Input 'count' should be an integer");
  });
});

describe('missingRequiredInputs', () => {
  it('lists required inputs without defaults that are absent', () => {
    expect(missingRequiredInputs(ddl, 'echo', {})).toEqual(['message']);
    expect(missingRequiredInputs(ddl, 'echo', { message: 'x' })).toEqual([]);
    expect(missingRequiredInputs(ddl, 'stats', {})).toEqual([]);
  });

  it('throws UNKNOWN_ACTION for an unknown action', () => {
    expect(() => missingRequiredInputs(ddl, 'explode', {})).toThrow(DDLError);
    expect(() => missingRequiredInputs(ddl, 'explode', {})).toThrow(expect.objectContaining({ code: 'UNKNOWN_ACTION' }));
  });
});
