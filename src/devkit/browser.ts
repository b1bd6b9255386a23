// Headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core, for the web console's browser tests and
// benchmark: a fresh profile in a temp dir that close() removes, and the page's long main-thread tasks recorded.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';

export const CHROMIUM_BIN = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Durations (ms) of the long tasks (over 50 ms) the page has run since it loaded or since the last reset. */
  longTasks(): Promise<number[]>;
  resetLongTasks(): Promise<void>;
  close(): Promise<void>;
}

/** Runs in the page before its own scripts (as text: this module is compiled without the DOM's types). */
const OBSERVE_LONG_TASKS = `
  window.__troupeLongTasks = [];
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__troupeLongTasks.push(e.duration);
    }).observe({ type: 'longtask', buffered: true });
  } catch {}
`;

export async function launchBrowser(opts: { viewport?: { width: number; height: number } } = {}): Promise<Browser> {
  // Loaded here so that nothing else in the package needs playwright-core, a development dependency.
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'troupe-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_BIN,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: opts.viewport ?? { width: 1280, height: 900 },
    });
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
  await context.addInitScript(OBSERVE_LONG_TASKS);
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    longTasks: () => page.evaluate<number[]>('[...(window.__troupeLongTasks ?? [])]'),
    resetLongTasks: () => page.evaluate<void>('void (window.__troupeLongTasks = [])'),
    close: async () => {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
