// The record of a started run (its process, splay, exit code, Puppet's error line) and how status reads it.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/wait.js';
import type { PuppetPaths } from '../../../src/plugins/agents/puppet/paths.js';
import { startDetached } from '../../../src/plugins/agents/puppet/detached.js';
import { readRunRecord, runOutputFile, runRecordFile, tellingError } from '../../../src/plugins/agents/puppet/run-record.js';
import { readStatus } from '../../../src/plugins/agents/puppet/state.js';
import { lastRunVerdict, parseSummary, reportInfo } from '../../../src/plugins/agents/puppet/summary.js';

let dir: string;
let paths: PuppetPaths;
const NOW_S = 1_795_000_000;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'troupe-puppet-record-'));
  for (const d of ['state', 'public', 'run']) mkdirSync(join(dir, d));
  paths = {
    agent_disabled_lockfile: join(dir, 'state', 'agent_disabled.lock'),
    agent_catalog_run_lockfile: join(dir, 'state', 'agent_catalog_run.lock'),
    pidfile: join(dir, 'run', 'agent.pid'),
    lastrunfile: join(dir, 'public', 'last_run_summary.yaml'),
    lastrunreport: join(dir, 'state', 'last_run_report.yaml'),
    resourcefile: join(dir, 'state', 'resources.txt'),
    runonceLockfile: join(dir, 'state', 'troupe_runonce.lock'),
  };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const record = (r: Record<string, unknown>) => writeFileSync(runRecordFile(paths), JSON.stringify(r));

describe("Puppet's telling error", () => {
  it('prefers its own "Could not" summary, and skips Facter and follow-on lines', () => {
    expect(
      tellingError([
        'Connection to https://127.0.0.1:1/puppet/v3 failed, trying next route: refused\nWrapped exception:\nrefused',
        'Facter: Permission denied @ rb_sysopen - /proc/1/environ',
        'Could not retrieve catalog from remote server: No more routes to puppet',
        'Could not retrieve catalog; skipping run',
      ]),
    ).toBe('Could not retrieve catalog from remote server: No more routes to puppet');
    expect(tellingError(['Evaluation Error: broken on purpose', 'Could not send report: x'])).toBe('Evaluation Error: broken on purpose');
    expect(tellingError(['x'.repeat(1000)])).toHaveLength(400);
    expect(tellingError([])).toBe('');
  });
});

describe('the last run verdict', () => {
  const summary = (failed: number) => parseSummary(`resources:\n  failed: ${failed}\n  total: 3\ntime:\n  last_run: ${NOW_S}\n`);
  const report = (status: string) =>
    reportInfo(
      `--- !ruby/object:Puppet::Transaction::Report\nstatus: ${status}\nlogs:\n- level: err\n  message: Permission denied\n  source: Facter\n- level: err\n  message: |-\n    Could not find class ::nope\n    on node x\n  source: Puppet\n`,
    );
  it('fails a run whose report says failed though no resource failed (a compile failure)', () => {
    expect(lastRunVerdict(summary(0), report('failed'))).toEqual({
      status: 'failed',
      failed: true,
      failedResources: 0,
      error: 'Could not find class ::nope',
      noop: false,
    });
  });
  it('fails a run with failed resources, and passes a clean one', () => {
    expect(lastRunVerdict(summary(2), report('changed'))).toMatchObject({
      failed: true,
      error: '2 resource(s) failed: Could not find class ::nope',
    });
    expect(lastRunVerdict(summary(0), report('changed'))).toEqual({
      status: 'changed',
      failed: false,
      failedResources: 0,
      error: '',
      noop: false,
    });
    expect(lastRunVerdict(parseSummary(undefined), undefined).status).toBe('none');
  });
  it("says a run was a no-op when its report says so, in a huge report's head too", () => {
    const noopReport = reportInfo(
      '--- !ruby/object:Puppet::Transaction::Report\nstatus: unchanged\nnoop: true\nnoop_pending: true\nlogs: []\n',
    );
    expect(lastRunVerdict(summary(0), noopReport)).toMatchObject({ status: 'unchanged', failed: false, noop: true });
    const huge = `--- !ruby/object:Puppet::Transaction::Report\nstatus: unchanged\nnoop: true\nlogs:\n${'- message: x\n'.repeat(800_000)}`;
    expect(reportInfo(huge)).toEqual({ status: 'unchanged', errors: [], noop: true });
    expect(reportInfo(huge.replace('noop: true', 'noop: false')).noop).toBe(false);
  });
});

describe('status with a recorded run', () => {
  it('shows a splaying run with when it is due', async () => {
    const output = join(dir, 'state', 'out.log');
    writeFileSync(output, 'earlier run\nInfo: Sleeping for 47 seconds (splay is enabled)\n');
    record({ initiated_at: NOW_S - 5, pid: process.pid, state: 'running', started_ms: (NOW_S - 5) * 1000, output, offset: 12 });
    const s = await readStatus(paths, NOW_S * 1000);
    expect(s).toMatchObject({ status: 'splaying', run_state: 'splaying', run_due_at: NOW_S + 42, applying: false });
    expect(s.message).toBe('Currently splaying: run due in 42 s; no completed run recorded');
    // Past its due time and not yet applying, it is starting its run.
    expect((await readStatus(paths, (NOW_S + 43) * 1000)).status).toBe('starting a run');
  });

  it('shows a run that exited before Puppet recorded anything as a failed last run, with its error', async () => {
    record({ initiated_at: NOW_S - 5, pid: process.pid, state: 'ended', exit_code: 1, ended_at: NOW_S - 3, error: 'No more routes to ca' });
    const s = await readStatus(paths, NOW_S * 1000);
    expect(s).toMatchObject({
      status: 'stopped',
      last_run_failed: true,
      last_run_error: 'No more routes to ca',
      run_state: 'ended',
      run_exit_code: 1,
    });
    expect(s.message).toBe(
      'Currently stopped; the run requested 05 seconds ago exited with 1: No more routes to ca; no completed run recorded',
    );
  });

  it('reads a run whose process is gone without a recorded end as ended, with the error from its output', async () => {
    const output = join(dir, 'state', 'out.log');
    writeFileSync(output, 'Error: Could not run: gone\n');
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    record({ initiated_at: NOW_S, pid: dead, state: 'running', output, offset: 0 });
    expect(await readRunRecord(runRecordFile(paths))).toMatchObject({ state: 'ended', exit_code: -1, error: 'Could not run: gone' });
  });
});

describe('a recorded detached run', () => {
  it("records the run's exit code and its error line once its process exits", async () => {
    const script = 'echo "Info: Sleeping for 0 seconds (splay is enabled)"; echo "Error: Could not run: boom" >&2; exit 3';
    const file = runRecordFile(paths);
    const pid = await startDetached(['sh', '-c', script], undefined, { file, initiatedAt: NOW_S });
    const ended = await waitFor('the run to be recorded as ended', async () => {
      const r = await readRunRecord(file);
      return r?.state === 'ended' && r.exit_code !== -1 ? r : undefined;
    });
    expect(ended).toMatchObject({ initiated_at: NOW_S, pid, exit_code: 3, error: 'Could not run: boom' });
    expect(readFileSync(runOutputFile(file), 'utf8')).toContain('Error: Could not run: boom');
  });
});
