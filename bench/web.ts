// The web console at fleet scale: `rpcutil ping` to every simulated node from the Run page of a headless Chromium,
// streamed over SSE into the job page, timed from the click to the final box score on screen, against `mco ping`'s
// time to its last reply on the same fleet (in turns). Also the longest main-thread task the page ran meanwhile.
import { launchBrowser } from '../src/devkit/browser.js';
import { startWebConsole } from '../src/devkit/web.js';
import { runMco } from './lib/processes.js';

export interface WebBenchRun {
  /** Click on "Run" to the box score showing every reply and the job done, ms (the page's clock). */
  boxScoreMs: number[];
  /** `mco ping`'s last reply, ms after its request went out. */
  pingMs: number[];
  /** The longest long task (over 50 ms) of each web run; 0 when there was none. */
  longestTaskMs: number[];
  /** How many long tasks each web run had. */
  longTasks: number[];
  replies: number;
  pingReplies: number;
  /** Per web run, ms after the click: the POST answered, the first replies arrived, the end event arrived. */
  phases: Array<{ accepted: number; firstReplies: number; end: number }>;
}

const PASSWORD = 'bench-password';

/** Resolves in the page once the box score says the job is done and `n` nodes answered OK; rejects after 120 s. */
const CLICK_AND_WAIT = `(n) => new Promise((resolve, reject) => {
  const done = () => {
    const box = document.querySelector('[data-testid=boxscore]');
    const ok = document.querySelector('[data-testid=score-ok]');
    return box && box.getAttribute('data-state') === 'done' && ok && Number(ok.textContent) === n;
  };
  const button = document.querySelector('[data-testid=send]');
  if (!button) return reject(new Error('no Run button'));
  if (button.disabled) return reject(new Error('the Run button is disabled'));
  const t0 = performance.now();
  window.__troupeClick = t0;
  button.click();
  const observer = new MutationObserver(() => {
    if (done()) {
      observer.disconnect();
      clearTimeout(timer);
      resolve(performance.now() - t0);
    }
  });
  observer.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  const timer = setTimeout(() => { observer.disconnect(); reject(new Error('no final box score within 120 s')); }, 120000);
})`;

/** Runs against a fleet of `n` registered nodes on `broker`; `pingConfig` is a client config for `mco ping`. */
export async function webBench(broker: string, pingConfig: string, n: number, repeat: number): Promise<WebBenchRun> {
  const web = await startWebConsole({
    broker,
    users: [{ name: 'bench', password: PASSWORD, roles: ['admin'] }],
    roles: { admin: { actions: ['*'] } },
    config: { discovery_timeout: 10 },
    timeoutMs: 60_000,
  });
  const browser = await launchBrowser();
  const out: WebBenchRun = { boxScoreMs: [], pingMs: [], longestTaskMs: [], longTasks: [], replies: n, pingReplies: n, phases: [] };
  try {
    const page = browser.page;
    await page.goto(`${web.url}/`);
    await page.locator('input[name=user]').fill('bench');
    await page.locator('input[name=password]').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // The server's node index fills from the registry after it starts.
    await page
      .getByTestId('nodes-total')
      .filter({ hasText: `${n} nodes` })
      .waitFor({ timeout: 120_000 });
    const one = async (warm: boolean) => {
      await page.goto(`${web.url}/run?agent=rpcutil&action=ping`);
      await page
        .getByTestId('filter-count')
        .filter({ hasText: `${n} ` })
        .waitFor({ timeout: 60_000 });
      // The button waits for the agents' DDL, which may come after the count.
      await page.locator('[data-testid=send]:enabled').waitFor({ timeout: 60_000 });
      await browser.resetLongTasks();
      const ms = await page.evaluate<number>(`(${CLICK_AND_WAIT})(${n})`);
      // Long tasks are reported after they end: one frame and a moment more.
      await page.evaluate('new Promise((r) => requestAnimationFrame(() => setTimeout(r, 200)))');
      const tasks = await browser.longTasks();
      // The app's performance marks (troupe:accepted|first-replies|end:<job id>), relative to the click.
      const phases = await page.evaluate<{ accepted: number; firstReplies: number; end: number }>(`(() => {
        const at = (kind) => {
          const m = performance.getEntriesByType('mark').filter((e) => e.name.startsWith('troupe:' + kind + ':')).pop();
          return m ? m.startTime - window.__troupeClick : NaN;
        };
        return { accepted: at('accepted'), firstReplies: at('first-replies'), end: at('end') };
      })()`);
      if (warm) return;
      out.phases.push(phases);
      out.boxScoreMs.push(ms);
      out.longTasks.push(tasks.length);
      out.longestTaskMs.push(Math.max(0, ...tasks));
    };
    const ping = async (warm: boolean) => {
      const r = await runMco(['ping', '-c', pingConfig, '--json']);
      if (r.code !== 0) throw new Error(`mco ping exited ${r.code}: ${r.stderr.slice(0, 500)}`);
      const j = JSON.parse(r.stdout) as { stats: { count: number; last_reply_ms: number } };
      if (warm) return;
      out.pingMs.push(j.stats.last_reply_ms);
      out.pingReplies = Math.min(out.pingReplies, j.stats.count);
    };
    await ping(true);
    await one(true);
    // In turns, so a slow spell of the shared machine falls on both alike.
    for (let i = 0; i < repeat; i++) {
      await ping(false);
      await one(false);
    }
    return out;
  } finally {
    await browser.close();
    await web.stop();
  }
}
