// The web console in a real Chromium against a real `mco web` on loopback HTTP, a real nats-server with JetStream
// and simulated nodes (1,000 generated, one with hostile facts, two with real Puppet trees, one answering 10 MB):
// login, the filter's live count and caret error, a ping of 1,000 nodes, Puppet disable/enable, rerun on failed,
// a history entry by its URL, hostile facts shown as text, and a 10 MB reply with no long main-thread task.
// Screenshots of every page go to test-output/web/ (not committed).
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer, type LocalNatsServer } from '../../helpers/broker.js';
import { ROOT, scratchDir, startSim, type RunningSim } from '../../helpers/mco.js';
import { waitForRegistry } from '../../../src/devkit/registry.js';
import { launchBrowser, type Browser } from '../../../src/devkit/browser.js';
import { startWebConsole, type WebConsole } from '../../../src/devkit/web.js';
import { generateFleet } from '../../../src/server/fleet.js';
import { puppetNode, requirePuppet, type PuppetNode } from '../../integration/puppet/nodes.js';

const FLEET = 1000;
const FAILING = ['node-00003.example.net', 'node-00500.example.net', 'node-00999.example.net'];
const XSS_SCRIPT = '<script>window.__xss = 1</script>';
const XSS_IMG = '"><img src=x onerror="window.__xss = 2">';
const BIG_BYTES = 10 * 1024 * 1024;
const SHOTS = join(ROOT, 'test-output', 'web');
const USER = 'alice';
const PASSWORD = 'alice-password';

let broker: LocalNatsServer | undefined;
let sim: RunningSim | undefined;
let bigSim: RunningSim | undefined;
let web: WebConsole | undefined;
let browser: Browser | undefined;
let puppets: PuppetNode[] = [];
const scratch = scratchDir('troupe-web-e2e-');

beforeAll(async () => {
  requirePuppet();
  mkdirSync(SHOTS, { recursive: true });
  // 64 MB messages, so the 10 MB reply fits in its envelope (the devkit's default is 8 MB; the later setting wins).
  broker = await startNatsServer({ jetstream: true, config: 'max_payload: 64MB' });
  puppets = ['puppet-a.example.net', 'puppet-b.example.net'].map((identity) => puppetNode(scratch.dir, identity));
  // puppet-b's last run failed, as Puppet 7 records it in $publicdir/last_run_summary.yaml.
  mkdirSync(join(puppets[1]!.vardir, 'public'), { recursive: true });
  writeFileSync(
    join(puppets[1]!.vardir, 'public', 'last_run_summary.yaml'),
    [
      '---',
      'version: {config: 1700000000, puppet: 7.23.0}',
      'resources: {changed: 0, corrective_change: 0, failed: 2, failed_to_restart: 0, out_of_sync: 2, restarted: 0, scheduled: 0, skipped: 0, total: 12}',
      `time: {config_retrieval: 0.5, total: 1.5, last_run: ${Math.floor(Date.now() / 1000) - 60}}`,
      'changes: {total: 0}',
      'events: {failure: 2, success: 0, total: 2}',
      '',
    ].join('\n'),
  );
  const nodes = [
    ...generateFleet(FLEET).nodes.map((n) =>
      FAILING.includes(n.identity) ? { ...n, simulate: { fail: ['rpcutil#agent_inventory'] } } : n,
    ),
    { identity: 'xss.example.net', facts: { role: 'hostile', evil: XSS_SCRIPT, inject: XSS_IMG }, classes: [XSS_SCRIPT] },
    ...puppets.map((p) => ({ identity: p.identity, facts: { role: 'puppet-e2e' }, classes: ['base'], settings: p.settings })),
  ];
  const nodeCfg = scratch.config('node.cfg', {
    securityprovider: 'insecure',
    'plugin.actionpolicy.allow_unconfigured': 1,
    registration_splay: 0,
    max_message_size: 32 * 1024 * 1024,
  });
  const fleet = scratch.file('fleet.json', JSON.stringify({ nodes }));
  // A fact of 10 MB, which `rpcutil get_fact` answers with.
  const big = scratch.file(
    'big.json',
    JSON.stringify({ nodes: [{ identity: 'big.example.net', facts: { role: 'big', big: 'x'.repeat(BIG_BYTES) } }] }),
  );
  [sim, bigSim] = await Promise.all([
    startSim(['--fleet', fleet, '--server', broker.url, '-c', nodeCfg], 120_000),
    startSim(['--fleet', big, '--server', broker.url, '-c', nodeCfg], 60_000),
  ]);
  await waitForRegistry(broker.url, nodes.length + 1, 60_000);
  web = await startWebConsole({
    broker: broker.url,
    users: [{ name: USER, password: PASSWORD, roles: ['admin'] }],
    roles: { admin: { actions: ['*'], see_all_jobs: true } },
    // Replies up to 32 MB are read (the default is 1 MB), so the 10 MB one arrives.
    config: { discovery_timeout: 2, max_message_size: 32 * 1024 * 1024 },
  });
  browser = await launchBrowser();
  // A wait that fails names its locator, inside the test's own time.
  browser.page.setDefaultTimeout(15_000);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await web?.stop();
  await Promise.all([sim?.stop(), bigSim?.stop()]);
  await broker?.stop();
  scratch.cleanup();
});

const page = () => browser!.page;
const url = (path: string) => `${web!.url}${path}`;

async function shot(name: string): Promise<void> {
  const file = join(SHOTS, `${name}.png`);
  await page().screenshot({ path: file, fullPage: true });
  expect(existsSync(file)).toBe(true);
  // A blank page compresses to a few hundred bytes; a rendered one is many kilobytes.
  expect(statSync(file).size).toBeGreaterThan(8_000);
}

async function waitText(testid: string, text: string | RegExp, timeout = 15_000): Promise<void> {
  await page().getByTestId(testid).filter({ hasText: text }).first().waitFor({ timeout });
}

/** Fills the Run page and sends; resolves with the new job's id once its page shows. */
async function runFromRunPage(agent: string, action: string, filter: string, inputs: Record<string, string> = {}): Promise<string> {
  await page().goto(url('/run'));
  await page().getByTestId('agent').selectOption(agent);
  await page().getByTestId('action').selectOption(action);
  for (const [name, value] of Object.entries(inputs)) await page().locator(`#in-${name}`).fill(value);
  await page().getByTestId('run-filter').fill(filter);
  await page().getByTestId('filter-count').and(page().locator('[data-busy="0"]')).waitFor();
  await page().getByTestId('send').click();
  await page().waitForURL(/\/jobs\/[^/]+$/);
  return decodeURIComponent(new URL(page().url()).pathname.split('/').pop()!);
}

async function waitJobEnd(timeout = 60_000): Promise<void> {
  await page().locator('[data-testid="boxscore"]:not([data-state="running"])').waitFor({ timeout });
  await page().getByTestId('job-state').filter({ hasNotText: 'running' }).waitFor({ timeout });
}

const score = async (which: 'ok' | 'failed' | 'noreply' | 'pending' | 'total') =>
  Number(await page().getByTestId(`score-${which}`).textContent());

describe('the web console in Chromium', () => {
  it('logs in', async () => {
    await page().goto(url('/'));
    await page().getByTestId('login').waitFor();
    await page().locator('input[name=user]').fill(USER);
    await page().locator('input[name=password]').fill('wrong-password');
    await page().getByRole('button', { name: 'Sign in' }).click();
    await page().getByTestId('error').waitFor();
    await shot('login');
    await page().locator('input[name=password]').fill(PASSWORD);
    await page().getByRole('button', { name: 'Sign in' }).click();
    await page().getByTestId('nodes-page').waitFor();
    expect(await page().getByTestId('user').textContent()).toContain(USER);
  });

  it('counts matching nodes live as the filter is typed, and shows the caret error of a bad filter', async () => {
    const all = FLEET + 1 + puppets.length + 1;
    await waitText('nodes-total', `${all} nodes`);
    const webCount = generateFleet(FLEET).nodes.filter((n) => n.facts?.role === 'web').length;
    await page().getByTestId('filter').pressSequentially('role=web', { delay: 20 });
    await waitText('filter-count', `${webCount} of ${all} nodes`);
    await waitText('nodes-total', `${webCount} nodes`);
    await page().getByTestId('pick-columns').click();
    await page().getByTestId('fact-picker').getByLabel('role', { exact: true }).check();
    await page().locator('[data-testid=nodes] .vrow').first().filter({ hasText: 'web' }).waitFor();
    // A saved filter comes back from the server after a reload.
    await page().getByTestId('save-name').fill('web nodes');
    await page().getByTestId('save-filter').click();
    await page().getByTestId('filter').fill('');
    await waitText('nodes-total', `${all} nodes`);
    await page().reload();
    await page().getByTestId('saved-filters').locator('option', { hasText: 'web nodes' }).waitFor({ state: 'attached' });
    await page().getByTestId('saved-filters').selectOption('web nodes');
    await waitText('nodes-total', `${webCount} nodes`);
    // Virtualised: scrolled to the end, the last rows are in view and only a screenful exists.
    await page().getByTestId('filter').fill('');
    await waitText('nodes-total', `${all} nodes`);
    await page().evaluate("document.querySelector('[data-testid=nodes]').scrollTop = 1e9");
    await page().locator('[data-testid=nodes] .vrow').filter({ hasText: 'xss.example.net' }).waitFor();
    expect(await page().locator('[data-testid=nodes] .vrow').count()).toBeLessThan(60);
    await page().evaluate("document.querySelector('[data-testid=nodes]').scrollTop = 0");
    await shot('nodes');
    await page().getByTestId('filter').fill('role=web and (');
    await page().getByTestId('filter-error').waitFor();
    expect(await page().getByTestId('filter-error').textContent()).toContain('^');
    await shot('nodes-filter-error');
  });

  it('renders hostile facts as text', async () => {
    await page().evaluate('window.__xss = undefined');
    await page().goto(url('/nodes?filter=role%3Dhostile'));
    await waitText('nodes-total', '1 nodes');
    await page().getByTestId('pick-columns').click();
    await page().getByTestId('fact-picker').getByLabel('evil', { exact: true }).check();
    await page().getByTestId('fact-picker').getByLabel('inject', { exact: true }).check();
    await page().locator('[data-testid=nodes] .vrow').first().filter({ hasText: '<script>' }).waitFor();
    await page().goto(url('/nodes/xss.example.net'));
    await page().getByTestId('node-facts').waitFor();
    const facts = await page().getByTestId('node-facts').textContent();
    expect(facts).toContain(XSS_SCRIPT);
    expect(facts).toContain(XSS_IMG);
    expect(await page().getByTestId('node-classes').textContent()).toContain(XSS_SCRIPT);
    expect(await page().locator('img').count()).toBe(0);
    expect(await page().locator('main script').count()).toBe(0);
    expect(await page().evaluate('window.__xss')).toBeUndefined();
    await shot('node');
  });

  it('pings 1,000 nodes and shows 1,000 rows and the final box score', async () => {
    await runFromRunPage('rpcutil', 'ping', 'kernel=Linux');
    await waitJobEnd();
    expect(await score('ok')).toBe(FLEET);
    expect(await score('total')).toBe(FLEET);
    expect(await score('pending')).toBe(0);
    await waitText('row-count', `${FLEET} rows`);
    expect(Number(await page().getByTestId('replies').getAttribute('data-count'))).toBe(FLEET);
    // Virtualised: only the rows in view exist.
    expect(await page().locator('[data-testid=replies] .vrow').count()).toBeLessThan(60);
    await shot('job');
  });

  it('reruns on the failed nodes with one click', async () => {
    const first = await runFromRunPage('rpcutil', 'agent_inventory', 'kernel=Linux');
    await waitJobEnd();
    expect(await score('failed')).toBe(FAILING.length);
    await page().getByTestId('rerun-failed').click();
    await page().waitForURL((u) => u.pathname.startsWith('/jobs/') && !u.pathname.endsWith(encodeURIComponent(first)));
    await waitJobEnd();
    expect(await score('total')).toBe(FAILING.length);
    expect(await score('failed')).toBe(FAILING.length);
    const rows = await page().locator('[data-testid=replies] .vrow .identity').allTextContents();
    expect(rows.sort()).toEqual([...FAILING].sort());
    await shot('job-rerun');
  });

  it('opens a history entry by its URL', async () => {
    await page().goto(url('/history'));
    await page().getByTestId('history-link').first().waitFor();
    await shot('history');
    const href = await page().getByTestId('history-link').nth(1).getAttribute('href');
    expect(href).toMatch(/^\/jobs\//);
    // A fresh load of the shared URL, not a click inside the app.
    await page().goto(url(href!));
    await page().getByTestId('job').waitFor();
    await waitJobEnd();
    expect(await score('total')).toBe(FLEET);
    expect(await page().getByTestId('job').getAttribute('data-job-id')).toBe(decodeURIComponent(href!.split('/').pop()!));
  });

  it('disables and enables Puppet from the Puppet page on nodes with real Puppet trees', async () => {
    await page().goto(url('/puppet'));
    await page().getByTestId('puppet-filter').fill('role=puppet-e2e');
    await waitText('filter-count', '2 of');
    await page().getByTestId('p-refresh').click();
    await page().locator('[data-testid=puppet-overview][data-ended="1"]').waitFor({ timeout: 60_000 });
    expect(await page().getByTestId('p-idle').textContent()).toBe('2');
    expect(await page().getByTestId('p-failed').textContent()).toBe('1');
    // From last_run_summary: puppet-b's two failed resources, named in the list of failed last runs, and when it ran.
    expect(await page().getByTestId('p-failed-resources').textContent()).toBe('2');
    expect(await page().getByTestId('p-failed-list').textContent()).toMatch(/puppet-b\.example\.net: 2 failed, 0 changed, \d{4}-/);
    expect(await page().getByTestId('p-last-run').textContent()).toMatch(/Last run \d+[smh] ago/);
    await page().getByTestId('p-message').fill('maintenance by the web console');
    await page().getByTestId('p-disable').click();
    await waitJobEnd();
    expect(await score('ok')).toBe(2);
    // The DDL's aggregate summary of the replies: both now report disabled.
    expect(await page().getByTestId('aggregates').textContent()).toMatch(/disabled\s*2/);
    // The status sweep after the action shows both disabled, with the message Puppet's lock file holds.
    await waitText('p-disabled', '2', 60_000);
    for (const p of puppets) expect(existsSync(join(p.vardir, 'state', 'agent_disabled.lock'))).toBe(true);
    await shot('puppet');
    await page().getByTestId('p-enable').click();
    await page().locator('[data-testid=job] [data-testid=boxscore]:not([data-state="running"])').waitFor({ timeout: 60_000 });
    await waitText('p-disabled', '0', 60_000);
    for (const p of puppets) expect(existsSync(join(p.vardir, 'state', 'agent_disabled.lock'))).toBe(false);
  });

  it('shows a 10 MB reply without a long main-thread task', async () => {
    await runFromRunPage('rpcutil', 'get_fact', 'role=big', { fact: 'big' });
    await waitJobEnd();
    await page().locator('[data-testid=replies] .vrow').first().waitFor();
    expect(await page().locator('[data-testid=replies] .vrow').first().textContent()).toContain('OK');
    expect(await score('ok')).toBe(1);
    // The observer works here: a task blocked on purpose for 250 ms is seen.
    await browser!.resetLongTasks();
    await page().evaluate(
      'new Promise((r) => setTimeout(() => { const end = performance.now() + 250; while (performance.now() < end); setTimeout(r, 100); }, 0))',
    );
    expect(Math.max(0, ...(await browser!.longTasks()))).toBeGreaterThanOrEqual(200);
    await browser!.resetLongTasks();
    await page().locator('[data-testid=replies] .vrow').first().click();
    await page().getByTestId('raw-truncated').waitFor();
    expect(await page().getByTestId('raw-download').getAttribute('href')).toMatch(/\/replies\/big\.example\.net$/);
    const raw = await page().locator('.raw-text').textContent();
    expect(raw!.length).toBeLessThanOrEqual(64 * 1024);
    // Let any task the click started finish and be reported.
    await page().evaluate('new Promise((r) => requestAnimationFrame(() => setTimeout(r, 200)))');
    const long = await browser!.longTasks();
    expect(Math.max(0, ...long)).toBeLessThan(200);
    await shot('job-raw');
  });

  it('shows the Run page with the DDL form and its checks', async () => {
    await page().goto(url('/run?agent=puppet&action=runonce'));
    await page().getByTestId('ddl-form').waitFor();
    await page().locator('#in-tags').fill('not a tag!');
    await page().getByTestId('send').click();
    await page().getByTestId('field-error-tags').waitFor();
    await shot('run');
  });

  it('starts a rollout plan, watches it, pauses and resumes it', async () => {
    await page().goto(url('/plans'));
    await page().getByTestId('plans-page').waitFor();
    const plan = [
      'name: e2e-rollout',
      'nodes:',
      '  all: {}',
      'steps:',
      '  - name: ping',
      '    nodes: all',
      '    rpc: { agent: rpcutil, action: ping }',
      '    batch: { size: "20%", pause: 1 }',
      '',
    ].join('\n');
    await page().getByTestId('plan-yaml').fill(plan);
    await page().getByTestId('plan-start').click();
    await page().getByTestId('plan-page').waitFor();
    await page().getByTestId('plan-events').filter({ hasText: 'batch 1/5' }).waitFor({ timeout: 30_000 });
    await page().getByTestId('plan-pause').click();
    await waitText('plan-state', 'paused');
    const before = await page().getByTestId('plan-events').textContent();
    expect(before).not.toContain('batch 5/5');
    await shot('plan');
    await page().getByTestId('plan-resume').click();
    await waitText('plan-state', 'succeeded', 60_000);
    expect(await page().getByTestId('plan-events').textContent()).toContain('batch 5/5');
    await page().goto(url('/plans'));
    await page().getByTestId('plans').filter({ hasText: 'e2e-rollout' }).waitFor();
    await shot('plans');
  });
});
