// `mco governor` as an operator or a cron job uses it: real mco processes against a real nats-server with JetStream.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { GovernorAdmin } from '../../../src/plan/governor.js';
import { NatsConnector } from '../../../src/transport/nats.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer, type LocalNatsServer } from '../../helpers/broker.js';
import { MCO, clientConfigFor, runMco, scratchDir } from '../../helpers/mco.js';

let server: LocalNatsServer;
let cfg: string;
let scratch: ReturnType<typeof scratchDir>;
const holders: ChildProcess[] = [];

beforeAll(async () => {
  server = await startNatsServer({ jetstream: true });
  cfg = clientConfigFor(server.url);
  scratch = scratchDir('troupe-governor-');
});

afterAll(async () => {
  for (const h of holders) if (h.exitCode === null && h.signalCode === null) killGroup(h);
  await server?.stop();
  scratch?.cleanup();
});

const gov = (...args: string[]) => {
  const sep = args.indexOf('--');
  const own = sep < 0 ? args : args.slice(0, sep);
  const rest = sep < 0 ? [] : args.slice(sep);
  return runMco(['governor', ...own, '-c', cfg, ...rest], { timeoutMs: 60_000 });
};

/** `mco governor run` in a process group of its own, so a SIGKILL can take its command down with it. */
function startHolder(name: string, argv: string[]): ChildProcess {
  const child = spawn(process.execPath, [MCO, 'governor', 'run', name, '-c', cfg, '--', ...argv], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  holders.push(child);
  return child;
}

function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
}

async function held(name: string): Promise<Array<{ id: string; holder: string }>> {
  const r = await gov('view', name, '--json');
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { slots: Array<{ id: string; holder: string }> }).slots;
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A job that records when it started and ended (after taking the slot, before giving it back). */
function job(log: string, name: string): string[] {
  const script =
    `const fs=require('fs');fs.appendFileSync(${JSON.stringify(log)},'start ${name} '+Date.now()+'\\n');` +
    `setTimeout(()=>{fs.appendFileSync(${JSON.stringify(log)},'end ${name} '+Date.now()+'\\n')},700)`;
  return [process.execPath, '-e', script];
}

describe('mco governor', () => {
  it('never lets three concurrent runners hold more than capacity 2, as their timestamps show', async () => {
    expect((await gov('add', 'PUPPET', '2', '10s')).stdout).toContain('Created governor PUPPET: capacity 2, expiry 10s');
    const log = scratch.file('timeline.log', '');
    // Three runners, each running its job three times in a row: nine jobs through two slots.
    const runner = async (r: number) => {
      for (let i = 0; i < 3; i++) {
        const res = await gov('run', 'PUPPET', '--max-wait', '60s', '--', ...job(log, `r${r}.${i}`));
        expect(res.code, res.stderr).toBe(0);
      }
    };
    await Promise.all([runner(1), runner(2), runner(3)]);
    const events = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => {
        const [kind, who, at] = l.split(' ');
        return { kind: kind!, who: who!, at: Number(at) };
      });
    expect(events.filter((e) => e.kind === 'start')).toHaveLength(9);
    // An end and a start in the same millisecond: the end came first (it is written before the slot is released).
    events.sort((a, b) => a.at - b.at || (a.kind === 'end' ? -1 : 1));
    let running = 0;
    let peak = 0;
    for (const e of events) {
      running += e.kind === 'start' ? 1 : -1;
      peak = Math.max(peak, running);
    }
    expect(peak).toBe(2); // never 3; and 2 shows the runners did overlap, so the limit was what held them back
    expect(await held('PUPPET')).toEqual([]);
  }, 180_000);

  it("frees a SIGKILLed holder's slot after the expiry", async () => {
    await gov('add', 'KILLED', '1', '6s');
    const holder = startHolder('KILLED', ['sleep', '600']);
    await until('the holder takes the slot', async () => (await held('KILLED')).length === 1);
    killGroup(holder);
    await new Promise((r) => holder.once('exit', r));
    // Right after the kill the slot is still taken (read in-process: an mco start may take longer than the expiry).
    const c = new NatsConnector({ servers: [server.url] });
    await c.connect();
    try {
      expect((await GovernorAdmin.for(c).view('KILLED')).slots).toHaveLength(1);
    } finally {
      await c.close();
    }
    // Nobody refreshes it, so it expires and a waiting runner gets it.
    const next = await gov('run', 'KILLED', '--max-wait', '60s', '--', 'true');
    expect(next.code, next.stderr).toBe(0);
    expect(await held('KILLED')).toEqual([]);
  }, 180_000);

  it('exits 75 when no slot comes free in --max-wait, without running the command', async () => {
    await gov('add', 'FULL', '1', '1m');
    const holder = startHolder('FULL', ['sleep', '600']);
    await until('the holder takes the slot', async () => (await held('FULL')).length === 1);
    const marker = `${scratch.dir}/ran`;
    const refused = await gov('run', 'FULL', '--max-wait', '1s', '--', 'touch', marker);
    expect(refused.code).toBe(75);
    expect(refused.stderr).toContain("no slot came free on governor 'FULL' within 1s (capacity 1, all held); did not run touch");
    expect(existsSync(marker)).toBe(false);
    killGroup(holder);
  }, 180_000);

  it('evicts a slot on request, freeing it for the next runner at once', async () => {
    await gov('add', 'EVICT', '1', '1m');
    const holder = startHolder('EVICT', ['sleep', '600']);
    await until('the holder takes the slot', async () => (await held('EVICT')).length === 1);
    const [slot] = await held('EVICT');
    expect(slot!.holder).toBe('user=' + (process.env.USER ?? 'root'));
    const view = await gov('view', 'EVICT');
    expect(view.stdout).toMatch(
      /Governor EVICT: capacity 1, expiry 1m, 1 replica, 1 held\n\nID +HOLDER +HOST +PID +TAKEN +EXPIRES\n[0-9a-f]{16} /,
    );
    expect((await gov('run', 'EVICT', '--max-wait', '0', '--', 'true')).code).toBe(75);
    const evicted = await gov('evict', 'EVICT', slot!.id);
    expect(evicted.code, evicted.stderr).toBe(0);
    expect(evicted.stdout).toContain(`Evicted slot ${slot!.id} from governor EVICT`);
    const next = await gov('run', 'EVICT', '--max-wait', '0', '--', 'true');
    expect(next.code, next.stderr).toBe(0);
    const again = await gov('evict', 'EVICT', slot!.id);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`governor 'EVICT' holds no slot ${slot!.id}`);
    killGroup(holder);
  }, 180_000);

  it("passes the command's exit code through, runs it without a shell, and says why it could not run", async () => {
    await gov('add', 'CODES', '3', '30s');
    expect((await gov('run', 'CODES', '--', 'sh', '-c', 'exit 7')).code).toBe(7);
    const marker = scratch.file('marker', '');
    const literal = await gov('run', 'CODES', '--', 'echo', `$(touch ${marker}.x)`, '>', marker);
    expect(literal.code).toBe(0);
    expect(literal.stdout).toContain(`$(touch ${marker}.x) > ${marker}`); // no shell took it apart
    appendFileSync(marker, '');
    const missing = await gov('run', 'CODES', '--', '/nonexistent/command');
    expect(missing.code).toBe(127);
    expect(missing.stderr).toContain('cannot run /nonexistent/command: ENOENT');
    const unknown = await gov('run', 'NOPE', '--', 'true');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("there is no governor 'NOPE'");
    expect((await gov('run', 'CODES')).stderr).toContain('no command to run');
    expect((await gov('add', 'bad.name', '1', '1m')).stderr).toContain("'bad.name' is not a governor name");
    expect((await gov('add', 'X', '2', 'soon')).stderr).toContain("'soon' is not a duration");
    expect(await held('CODES')).toEqual([]);
  }, 180_000);

  it('lists and removes governors', async () => {
    await gov('add', 'LISTED', '4', '20m');
    const updated = await gov('add', 'LISTED', '6', '1h');
    expect(updated.stdout).toContain('Updated governor LISTED: capacity 6, expiry 1h');
    const listed = await gov('list');
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^NAME +CAPACITY +HELD +EXPIRY +REPLICAS$/m);
    expect(listed.stdout).toMatch(/^LISTED +6 +0 +1h +1$/m);
    const json = JSON.parse((await gov('list', '--json')).stdout) as Array<{ name: string }>;
    expect(json.map((g) => g.name)).toContain('LISTED');
    expect((await gov('rm', 'LISTED')).stdout).toContain('Removed governor LISTED');
    expect((await gov('list')).stdout).not.toContain('LISTED');
    const gone = await gov('view', 'LISTED');
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain("there is no governor 'LISTED'");
  }, 180_000);
});
