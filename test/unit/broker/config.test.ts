import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  brokerUsers,
  readBrokerSettings,
  renderBrokerConfig,
  signalBrokerReload,
  writeBrokerConfig,
  type BrokerSettings,
} from '../../../src/broker/index.js';
import { createDevPki, type DevPki } from '../../../src/devkit/pki.js';
import { identityToken } from '../../../src/protocol/index.js';

let pki: DevPki;
let settings: BrokerSettings;

beforeEach(() => {
  pki = createDevPki({ nodes: ['web1.example.net', 'gone.example.net'], clients: ['ops.troupe'], broker: true });
  pki.issue('ca-service', { profile: 'server', altNames: ['localhost'] }); // cannot log in: no client authentication
  pki.revoke('gone.example.net');
  settings = {
    caDir: pki.caDir,
    listen: '127.0.0.1:4222',
    certFile: pki.certPath('broker'),
    keyFile: pki.keyPath('broker'),
    collectives: ['mcollective', 'dev'],
    registryBucket: 'troupe_registry',
    operatorPattern: '\\.(mcollective|troupe)$',
    pidFile: join(pki.dir, 'nats.pid'),
    jetstreamDir: '',
    maxPayload: 2097152,
  };
});

afterEach(() => pki.cleanup());

describe('broker users from the CA', () => {
  it('lists each signed, unrevoked certificate that may log in, with the permissions of its role', () => {
    const users = brokerUsers(settings);
    expect(users.map((u) => `${u.role} ${u.name}`).sort()).toEqual(['node web1.example.net', 'operator ops.troupe']);
    const node = users.find((u) => u.name === 'web1.example.net')!;
    expect(node.permissions.subscribe).toEqual([
      'mcollective.broadcast.agent.*',
      'mcollective.node.web1.example.net',
      'dev.broadcast.agent.*',
      'dev.node.web1.example.net',
      `_INBOX.${identityToken('web1.example.net')}.>`,
    ]);
    expect(node.permissions.publish).toContain('$KV.troupe_registry.web1.example.net');
    expect(node.permissions.publish.some((s) => s.includes('broadcast') || s.includes('.node.') || s === '>')).toBe(false);
    const ops = users.find((u) => u.name === 'ops.troupe')!;
    expect(ops.permissions.subscribe).toEqual([
      `mcollective.reply.${identityToken('ops.troupe')}.>`,
      `dev.reply.${identityToken('ops.troupe')}.>`,
      `_INBOX.${identityToken('ops.troupe')}.>`,
    ]);
    expect(ops.permissions.publish.some((s) => s.includes('.reply.') || s.startsWith('$KV'))).toBe(false);
    expect(new Set(users.map((u) => u.pin)).size).toBe(2);
    for (const u of users) expect(u.pin).toMatch(/^[0-9a-f]{64}$/);
  });

  it('writes users by subject, pins their keys, and no user for the unlisted', () => {
    const text = renderBrokerConfig(settings, brokerUsers(settings));
    expect(text).toContain('verify_and_map: true');
    expect(text).toContain('{ user: "CN=web1.example.net"');
    expect(text).not.toContain('gone.example.net');
    expect(text).not.toMatch(/^\s*no_auth_user/m);
    expect(text).toMatch(/pinned_certs: \[\n\s+"[0-9a-f]{64}",\n\s+"[0-9a-f]{64}"\n\s+\]/);
  });

  it('refuses to write a broker that would let in any certificate of the CA', () => {
    expect(() => renderBrokerConfig(settings, [])).toThrow(expect.objectContaining({ code: 'no_users' }));
  });

  it('refuses a client pattern that cannot tell operators from nodes, or is no regular expression', () => {
    expect(() => brokerUsers({ ...settings, operatorPattern: '' })).toThrow(expect.objectContaining({ code: 'bad_settings' }));
    expect(() => brokerUsers({ ...settings, operatorPattern: '(' })).toThrow(/not a regular expression/);
  });

  it('says so when the broker certificate cannot be read', () => {
    expect(() => brokerUsers({ ...settings, certFile: join(pki.dir, 'missing.pem') })).toThrow(
      /cannot read the broker certificate .*missing\.pem: ENOENT/,
    );
  });
});

describe('reading a written configuration back', () => {
  it('gets the settings it was written with', () => {
    const file = join(pki.dir, 'out', 'nats.conf');
    writeBrokerConfig(file, settings);
    expect(readBrokerSettings(file)).toEqual(settings);
  });

  it('refuses a file it did not write, a damaged settings line and an incomplete one', () => {
    const file = join(pki.dir, 'other.conf');
    writeFileSync(file, 'listen: 127.0.0.1:4222\n');
    expect(() => readBrokerSettings(file)).toThrow(expect.objectContaining({ code: 'not_generated' }));
    writeFileSync(file, '# troupe-broker-settings: {"caDir": \n');
    expect(() => readBrokerSettings(file)).toThrow(/damaged/);
    writeFileSync(file, '# troupe-broker-settings: {"caDir": "/x", "collectives": "all"}\n');
    expect(() => readBrokerSettings(file)).toThrow(/incomplete/);
    expect(() => readBrokerSettings(join(pki.dir, 'none.conf'))).toThrow(/cannot read the broker configuration .*ENOENT/);
  });
});

describe('signalling a reload', () => {
  it('reports a broker that is not running instead of signalling anything else', () => {
    expect(signalBrokerReload(join(pki.dir, 'none.pid'))).toEqual({
      signalled: false,
      reason: expect.stringContaining('not running') as string,
    });
    const pidFile = join(pki.dir, 'nats.pid');
    writeFileSync(pidFile, `${process.pid}\n`); // this test process, not a nats-server
    expect(signalBrokerReload(pidFile)).toEqual({ signalled: false, reason: expect.stringMatching(/not nats-server/) as string });
    writeFileSync(pidFile, 'twelve\n');
    expect(() => signalBrokerReload(pidFile)).toThrow(/does not hold a process id/);
  });
});

describe('web console permissions', () => {
  it("gives a web console an operator's subjects plus its job bucket and the registry watch's flow control, and other operators neither", async () => {
    const { operatorPermissions } = await import('../../../src/broker/permissions.js');
    const scope = { collectives: ['mcollective'], registryBucket: 'troupe_registry', planBucket: 'troupe_plans' };
    const plain = operatorPermissions('ops.troupe', scope);
    const web = operatorPermissions('web.troupe', { ...scope, webBucket: 'troupe_web_jobs' });
    expect(web.publish).toEqual(expect.arrayContaining([...plain.publish.filter((s) => !s.includes('ops')), '$KV.troupe_web_jobs.>']));
    expect(web.publish).toEqual(expect.arrayContaining(['$JS.API.STREAM.CREATE.KV_troupe_web_jobs', '$JS.FC.KV_troupe_registry.>']));
    expect(plain.publish.some((s) => s.includes('troupe_web_jobs') || s.startsWith('$JS.FC.KV_troupe_registry'))).toBe(false);
    expect(web.subscribe).toEqual(operatorPermissions('web.troupe', scope).subscribe);
  });
});
