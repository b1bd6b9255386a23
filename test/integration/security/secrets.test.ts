// Secrets in a node's config stay on the node: a real daemon with the default policy (no rpcutil.policy, so any
// client may call rpcutil's read-only actions) asked for them by a real client, and its logs read afterwards.
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevPki, configText, type DevPki } from '../../../src/devkit/pki.js';
import { startNatsServer, type LocalNatsServer } from '../../helpers/broker.js';
import { parseAs, type ReportJson } from '../../helpers/json.js';
import { runMco, scratchDir } from '../../helpers/mco.js';
import { startDaemon, type RunningDaemon } from '../core/daemon.js';

const NODE = 'node1.example.net';
const SECRETS = {
  amqp: 'amqp-hunter2-amqp',
  token: 'vault-t0k3n-7731',
  db: 'db-pa55-9911',
  git: 'git-pa55-4242',
  reload: 'reload-pa55-5150',
};
let pki: DevPki;
let nats: LocalNatsServer;
let scratch: ReturnType<typeof scratchDir>;
let daemon: RunningDaemon;
let serverCfg: string;
let clientCfg: string;
let logFile: string;
let audit: string;

beforeAll(async () => {
  pki = createDevPki({ nodes: [NODE], clients: ['intern.troupe'] });
  nats = await startNatsServer();
  scratch = scratchDir('troupe-secrets-');
  logFile = join(scratch.dir, 'node.log');
  audit = join(scratch.dir, 'audit.log');
  serverCfg = scratch.file(
    'server.cfg',
    configText({
      identity: NODE,
      middleware_hosts: nats.url,
      logfile: logFile,
      loglevel: 'debug',
      'plugin.yaml': scratch.file('facts.json', '{"role":"db"}'),
      rpcaudit: 1,
      'plugin.rpcaudit.logfile': audit,
      ...pki.serverConfig(),
      'plugin.amqp.user': 'ops',
      'plugin.amqp.password': SECRETS.amqp,
      'plugin.vault.token': SECRETS.token,
      'plugin.myapp.db_password': SECRETS.db,
      'plugin.puppet.git_remote': `https://deploy:${SECRETS.git}@git.example.net/puppet.git`,
    }),
  );
  clientCfg = scratch.file(
    'client.cfg',
    configText({ middleware_hosts: nats.url, discovery_timeout: 2, ...pki.clientConfig('intern.troupe') }),
  );
  daemon = await startDaemon(serverCfg, logFile);
}, 60_000);

afterAll(async () => {
  await daemon?.stop();
  await nats?.stop();
  pki?.cleanup();
  scratch?.cleanup();
});

const rpc = async (action: string, ...inputs: string[]) => {
  const r = await runMco(['rpc', 'rpcutil', action, ...inputs, '-I', NODE, '-c', clientCfg, '--json']);
  return { ...r, reply: parseAs<ReportJson>(r.stdout).replies[0]! };
};

const leaks = (text: string) => Object.values(SECRETS).filter((s) => text.includes(s));

describe('secrets in the config', () => {
  it('get_config_item refuses a secret key to any client with status 1, saying it exists, never with its value', async () => {
    for (const item of ['plugin.amqp.password', 'plugin.vault.token', 'plugin.myapp.db_password']) {
      const r = await rpc('get_config_item', `item=${item}`);
      expect(r.reply.statuscode, item).toBe(1);
      expect(r.reply.statusmsg).toBe(`Config property '${item}' is a secret: its value is not returned`);
      expect(r.reply.data.value ?? null).toBeNull();
      expect(leaks(r.stdout + r.stderr)).toEqual([]);
    }
  });

  it('other keys are shown, credentials in a URL masked', async () => {
    expect((await rpc('get_config_item', 'item=plugin.amqp.user')).reply).toMatchObject({ statuscode: 0, data: { value: 'ops' } });
    const remote = await rpc('get_config_item', 'item=plugin.puppet.git_remote');
    expect(remote.reply).toMatchObject({ statuscode: 0, data: { value: 'https://deploy:[redacted]@git.example.net/puppet.git' } });
  });

  it('no other rpcutil action, no log line and no audit line carries a secret, not even a failed reload', async () => {
    for (const action of ['inventory', 'daemon_stats', 'collective_info', 'agent_inventory']) {
      const r = await rpc(action);
      expect(r.reply.statuscode, action).toBe(0);
      expect(leaks(r.stdout), action).toEqual([]);
    }
    // A broken edit to the config, then SIGHUP: the reload fails and its error is logged.
    appendFileSync(serverCfg, `middleware_hosts = nats://ops:${SECRETS.reload}@\n`);
    daemon.child.kill('SIGHUP');
    const failed = await daemon.waitForLog((l) => l.msg === 'config reload failed; keeping the running configuration');
    expect(String(failed.err)).toContain('nats://ops:[redacted]@');
    expect((await rpc('ping')).reply.statuscode).toBe(0);
    expect(leaks(readFileSync(logFile, 'utf8'))).toEqual([]);
    expect(leaks(readFileSync(audit, 'utf8'))).toEqual([]);
  });
});
