// Where Puppet keeps its state: asked of Puppet itself (`puppet config print --section agent …`) unless configured.
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { PuppetAgentError } from './errors.js';
import { PATH_SETTINGS, puppetConfigArgs, type PathSetting, type PuppetSettings } from './settings.js';

export type PuppetPaths = Record<PathSetting, string> & {
  /** troupe's lock held from a run's request until its process exits. */
  runonceLockfile: string;
};

/** Runs `<puppet> config print …` and returns its output; replaceable in tests. */
export type SettingsPrinter = (binary: string, args: string[]) => Promise<string>;

/** Puppet's settings rarely change; asking costs a Ruby start (about a second), so answers are kept a while. */
const CACHE_MS = 5 * 60_000;
const cache = new Map<string, { expires: number; value: Promise<Record<PathSetting, string>> }>();

/** PATH as Puppet's own packages expect it: AIO installs live in /opt/puppetlabs/bin. */
export function puppetEnv(): NodeJS.ProcessEnv {
  const path = process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin';
  return { ...process.env, PATH: path.split(':').includes('/opt/puppetlabs/bin') ? path : `${path}:/opt/puppetlabs/bin` };
}

export const printWithPuppet: SettingsPrinter = (binary, args) =>
  new Promise((resolve, reject) => {
    execFile(binary, args, { timeout: 30_000, env: puppetEnv(), maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) {
        const detail = stderr.split('\n').find((l) => /error/i.test(l) && !l.includes('Facter')) ?? err.message;
        reject(new Error(detail.trim()));
      } else {
        resolve(stdout);
      }
    });
  });

/** Parses `key = value` lines of `puppet config print` with several keys. */
export function parseConfigPrint(output: string, keys: readonly string[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of output.split('\n')) {
    const m = /^([a-z_]+) = (.*)$/.exec(line.trim());
    if (m && keys.includes(m[1]!)) values[m[1]!] = m[2]!.trim();
  }
  const missing = keys.filter((k) => !values[k]);
  if (missing.length > 0) throw new Error(`Puppet did not report ${missing.join(', ')}`);
  return values;
}

function binaryOf(s: PuppetSettings): string {
  return (s.mode === 'apply' ? s.applyCommand : s.command)[0]!;
}

async function askPuppet(s: PuppetSettings, print: SettingsPrinter): Promise<Record<PathSetting, string>> {
  const binary = binaryOf(s);
  const key = JSON.stringify([binary, s.config ?? '', s.confdir ?? '']);
  const now = Date.now();
  const hit = cache.get(key);
  if (hit && hit.expires > now) return hit.value;
  const args = ['config', 'print', '--section', 'agent', ...PATH_SETTINGS, ...puppetConfigArgs(s)];
  const value = print(binary, args).then((out) => parseConfigPrint(out, PATH_SETTINGS) as Record<PathSetting, string>);
  cache.set(key, { expires: now + CACHE_MS, value });
  // A failure is not remembered: the next request asks again.
  value.catch(() => cache.delete(key));
  return value;
}

/** The files the agent works with: configured paths win, the rest come from Puppet's agent-section settings. */
export async function puppetPaths(s: PuppetSettings, print: SettingsPrinter = printWithPuppet): Promise<PuppetPaths> {
  let fromPuppet: Partial<Record<PathSetting, string>> = {};
  if (PATH_SETTINGS.some((k) => s.paths[k] === undefined)) {
    try {
      fromPuppet = await askPuppet(s, print);
    } catch (err) {
      throw new PuppetAgentError(
        'settings_unavailable',
        `Could not read Puppet's settings with '${binaryOf(s)} config print': ${(err as Error).message}; set plugin.puppet.${PATH_SETTINGS.filter((k) => s.paths[k] === undefined).join(', plugin.puppet.')} instead`,
      );
    }
  }
  const paths = {} as Record<PathSetting, string>;
  for (const k of PATH_SETTINGS) paths[k] = s.paths[k] ?? fromPuppet[k]!;
  return { ...paths, runonceLockfile: s.runonceLockfile ?? join(dirname(paths.agent_catalog_run_lockfile), 'troupe_runonce.lock') };
}

/** Forgets what Puppet said, so the next request asks again (tests; a reconfigured node). */
export function forgetPuppetSettings(): void {
  cache.clear();
}
