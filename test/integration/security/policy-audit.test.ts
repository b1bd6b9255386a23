// Action policies and the audit log on a real daemon: allowed and denied requests from two real clients,
// denials answered with status 1 and counted, and one audit line per request with input values redacted.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevPki, configText, type DevPki } from '../../../src/devkit/pki.js';
import { startNatsServer, type LocalNatsServer } from '../../helpers/broker.js';
import { parseAs, type AuditLine, type ReportJson } from '../../helpers/json.js';
import { runMco, scratchDir } from '../../helpers/mco.js';
import { startDaemon, stopDaemon } from './daemon.js';
import { waitFor } from '../../helpers/wait.js';

const NODE = 'node1.example.net';
let pki: DevPki;
let nats: LocalNatsServer;
let scratch: ReturnType<typeof scratchDir>;
let daemon: ChildProcess;
let audit: string;
const cfg: Record<string, string> = {};

beforeAll(async () => {
  pki = createDevPki({ nodes: [NODE], clients: ['ops.troupe', 'intern.troupe'] });
  nats = await startNatsServer();
  scratch = scratchDir('troupe-policy-');
  const policies = join(scratch.dir, 'policies');
  mkdirSync(policies);
  writeFileSync(join(policies, 'groups'), 'sre cert=ops.troupe\n');
  writeFileSync(
    join(policies, 'rpcutil.policy'),
    ['policy default deny', 'allow\tsre\t*\t*\t*', 'allow\t*\tping get_fact\tenvironment=production\t*', 'deny\t*\t*\t*\t*', ''].join('\n'),
  );
  writeFileSync(join(scratch.dir, 'facts.json'), JSON.stringify({ environment: 'production', secret_fact: 'x' }));
  audit = join(scratch.dir, 'audit', 'audit.log');
  const logFile = join(scratch.dir, 'node.log');
  const serverCfg = scratch.file(
    'server.cfg',
    configText({
      identity: NODE,
      middleware_hosts: nats.url,
      logfile: logFile,
      'plugin.yaml': join(scratch.dir, 'facts.json'),
      rpcauthorization: 1,
      'plugin.actionpolicy.dir': policies,
      rpcaudit: 1,
      'plugin.rpcaudit.logfile': audit,
      ...pki.serverConfig(),
    }),
  );
  for (const who of ['ops.troupe', 'intern.troupe'])
    cfg[who] = scratch.file(`${who}.cfg`, configText({ middleware_hosts: nats.url, discovery_timeout: 2, ...pki.clientConfig(who) }));
  daemon = await startDaemon(serverCfg, logFile);
}, 60_000);

afterAll(async () => {
  if (daemon) await stopDaemon(daemon);
  await nats?.stop();
  pki?.cleanup();
  scratch?.cleanup();
});

const rpc = async (who: string, action: string, ...inputs: string[]) => {
  const r = await runMco(['rpc', 'rpcutil', action, ...inputs, '-I', NODE, '-c', cfg[who]!, '--json']);
  return { code: r.code, reply: parseAs<ReportJson>(r.stdout).replies[0]! };
};

describe('action policies', () => {
  it('allows by group, by action and facts, and denies the rest with status 1 and a reason', async () => {
    expect((await rpc('ops.troupe', 'daemon_stats')).reply.statuscode).toBe(0);
    expect((await rpc('intern.troupe', 'get_fact', 'fact=environment')).reply).toMatchObject({
      statuscode: 0,
      data: { value: 'production' },
    });
    const denied = await rpc('intern.troupe', 'inventory');
    expect(denied.reply.statuscode).toBe(1);
    expect(denied.reply.statusmsg).toMatch(
      /not authorized.*cert=intern\.troupe may not run rpcutil#inventory: denied by rpcutil\.policy line 4/,
    );
    expect(denied.code).not.toBe(0);
    const stats = (await rpc('ops.troupe', 'daemon_stats')).reply.data as { rejected: Record<string, number> };
    expect(stats.rejected.unauthorized).toBe(1);
  });

  it('writes one audit line per request, with who, what, the decision and the outcome, values redacted', async () => {
    const auditLines = () =>
      readFileSync(audit, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => parseAs<AuditLine>(l));
    const rpcLines = await waitFor(
      'the four requests in the audit log',
      () => {
        const lines = auditLines().filter((l) => l.agent === 'rpcutil');
        return lines.length >= 4 && lines;
      },
      10_000,
      25,
    );
    expect(rpcLines.map((l) => [l.caller, l.action, l.decision, l.statuscode])).toEqual([
      ['cert=ops.troupe', 'daemon_stats', 'allowed', 0],
      ['cert=intern.troupe', 'get_fact', 'allowed', 0],
      ['cert=intern.troupe', 'inventory', 'denied', 1],
      ['cert=ops.troupe', 'daemon_stats', 'allowed', 0],
    ]);
    const getFact = rpcLines[1]!;
    expect(getFact).toMatchObject({ type: 'audit', identity: NODE, collective: 'mcollective', input: { fact: '[redacted]' } });
    expect(getFact.requestid).toMatch(/^[0-9a-f]{32}$/);
    expect(Date.parse(getFact.time)).toBeGreaterThan(0);
    expect(rpcLines[2]!.reason).toMatch(/line 4/);
    expect(readFileSync(audit, 'utf8')).not.toContain('"environment"');
  });

  it('redacts input values that a failure message quotes, as it redacts the inputs', async () => {
    const secret = 'hunter2-in-statusmsg';
    const failed = await rpc('ops.troupe', 'get_config_item', `item=${secret}`);
    // The caller sees its own input quoted back; the audit log does not keep it.
    expect(failed.reply).toMatchObject({ statuscode: 4, statusmsg: `Unknown config property '${secret}'` });
    const line = readFileSync(audit, 'utf8')
      .trim()
      .split('\n')
      .map((l) => parseAs<AuditLine>(l))
      .find((l) => l.action === 'get_config_item');
    expect(line).toMatchObject({
      caller: 'cert=ops.troupe',
      statuscode: 4,
      statusmsg: "Unknown config property '[redacted]'",
      input: { item: '[redacted]' },
    });
    expect(readFileSync(audit, 'utf8')).not.toContain(secret);
  });
});
