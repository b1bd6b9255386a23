// `mco broker config` for a broker in a site, as a user runs it: broker certificates from `mco ca generate --broker`,
// a configuration nats-server itself accepts (`nats-server -t`), and bad flags that say what to fix.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NATS_SERVER_BIN } from '../../src/devkit/nats-server.js';
import { runMco, scratchDir } from '../helpers/mco.js';

let scratch: ReturnType<typeof scratchDir>;
let cfg: string;
const ca = () => join(scratch.dir, 'ca');

beforeAll(async () => {
  scratch = scratchDir('troupe-broker-sites-cli-');
  cfg = scratch.file('client.cfg', `plugin.ca.dir = ${ca()}\n`);
  expect((await runMco(['ca', 'init', '-c', cfg])).code).toBe(0);
  for (const name of ['ams1.example.net', 'edge1.example.net']) {
    const r = await runMco(['ca', 'generate', name, '--broker', '--alt-names', `${name},127.0.0.1`, '-c', cfg]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('is a broker certificate');
  }
  expect((await runMco(['ca', 'generate', 'web1.example.net', '-c', cfg])).code).toBe(0);
  expect((await runMco(['ca', 'generate', 'ops.troupe', '-c', cfg])).code).toBe(0);
}, 60_000);

afterAll(() => scratch?.cleanup());

const brokerFlags = (name: string) => [
  '--cert',
  join(ca(), 'generated', name, 'certs', `${name}.pem`),
  '--key',
  join(ca(), 'generated', name, 'private_keys', `${name}.pem`),
  '-c',
  cfg,
];

function natsAccepts(file: string): { ok: boolean; output: string } {
  const r = spawnSync(NATS_SERVER_BIN, ['-c', file, '-t'], { encoding: 'utf8' });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

describe('mco broker config for sites', () => {
  it('writes a gateway site broker nats-server accepts', async () => {
    const out = join(scratch.dir, 'ams1.conf');
    const r = await runMco([
      'broker',
      'config',
      '--out',
      out,
      '--site',
      'ams',
      '--cluster-listen',
      '127.0.0.1:6222',
      '--routes',
      'tls://ams2.example.net:6222,tls://ams3.example.net:6222',
      '--gateway-listen',
      '127.0.0.1:7222',
      '--gateways',
      'ams=ams1.example.net:7222,lon=lon1.example.net:7222|lon2.example.net:7222',
      '--leafnode-listen',
      '127.0.0.1:7422',
      '--leaf-sites',
      'edge',
      '--monitor',
      '127.0.0.1:8222',
      '--jetstream-dir',
      join(scratch.dir, 'js'),
      ...brokerFlags('ams1.example.net'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Site ams, server ams1.example.net: 2 broker certificates admitted');
    const check = natsAccepts(out);
    expect(check.ok, check.output).toBe(true);
    expect(readFileSync(out, 'utf8')).toContain('$JS.edge.API.DIRECT.GET.KV_troupe_registry_edge.>');
  });

  it('writes a leaf site broker nats-server accepts', async () => {
    const out = join(scratch.dir, 'edge1.conf');
    const r = await runMco([
      'broker',
      'config',
      '--out',
      out,
      '--site',
      'edge',
      '--leaf-remotes',
      'tls://lon1.example.net:7422',
      '--jetstream-dir',
      join(scratch.dir, 'js-edge'),
      ...brokerFlags('edge1.example.net'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const check = natsAccepts(out);
    expect(check.ok, check.output).toBe(true);
    expect(readFileSync(out, 'utf8')).toContain('domain: "edge"');
  });

  it.each([
    [['--site', 'a.b'], /plugin\.broker\.site \(--site\): 'a\.b' is not a site/],
    [['--site', 'ams', '--routes', 'tls://h:1'], /--routes.*need a cluster port/],
    [['--site', 'ams', '--gateway-listen', 'nowhere'], /--gateway-listen.*not HOST:PORT/],
    [['--site', 'edge', '--leaf-remotes', 'h:1', '--gateway-listen', 'h:2', '--jetstream-dir', ''], /dials out only/],
    [['--routes', 'tls://h:1'], /needs the site/],
    [['--monitor', 'x'], /--monitor.*not HOST:PORT/],
  ])('refuses %j with a clear message, a hint and exit 1', async (flags, message) => {
    const r = await runMco(['broker', 'config', '--out', join(scratch.dir, 'bad.conf'), ...flags, ...brokerFlags('ams1.example.net')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n').length).toBeGreaterThanOrEqual(2); // the hint
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses to join brokers with a node certificate', async () => {
    const r = await runMco([
      'broker',
      'config',
      '--out',
      join(scratch.dir, 'node.conf'),
      '--site',
      'edge',
      '--leaf-remotes',
      'h:1',
      ...brokerFlags('web1.example.net'),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is not a broker certificate/);
  });
});
