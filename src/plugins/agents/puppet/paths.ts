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
const cache = new Map<string, { expires: number; value: Promise<Record<string, string>> }>();

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

/** Parses `key = value` lines of `puppet config print` with several keys; asked for one, Puppet prints its value alone. */
export function parseConfigPrint(output: string, keys: readonly string[]): Record<string, string> {
  const values: Record<string, string> = {};
  if (keys.length === 1 && !output.includes(' = ')) values[keys[0]!] = output.trim();
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

/** Asks Puppet for `keys` as `section` sees them, once per cache period; a failure is not remembered. */
function askPuppet(
  s: PuppetSettings,
  print: SettingsPrinter,
  section: 'agent' | 'user',
  keys: readonly string[],
): Promise<Record<string, string>> {
  const binary = binaryOf(s);
  const key = JSON.stringify([binary, s.config ?? '', s.confdir ?? '', section, keys]);
  const now = Date.now();
  const hit = cache.get(key);
  if (hit && hit.expires > now) return hit.value;
  const args = ['config', 'print', '--section', section, ...keys, ...puppetConfigArgs(s)];
  const value = print(binary, args).then((out) => parseConfigPrint(out, keys));
  cache.set(key, { expires: now + CACHE_MS, value });
  value.catch(() => cache.delete(key));
  return value;
}

/**
 * What the paths are asked with. `puppet agent` reads noop from the same [agent] section as the paths, so in agent
 * mode one Ruby start answers both; `puppet apply` reads [user], which needs a question of its own.
 */
function pathQuestion(s: PuppetSettings): readonly string[] {
  return s.mode === 'agent' ? [...PATH_SETTINGS, 'noop'] : PATH_SETTINGS;
}

/** The files the agent works with: configured paths win, the rest come from Puppet's agent-section settings. */
export async function puppetPaths(s: PuppetSettings, print: SettingsPrinter = printWithPuppet): Promise<PuppetPaths> {
  let fromPuppet: Partial<Record<PathSetting, string>> = {};
  if (PATH_SETTINGS.some((k) => s.paths[k] === undefined)) {
    try {
      fromPuppet = await askPuppet(s, print, 'agent', pathQuestion(s));
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

/**
 * Puppet's own noop setting for this node's runs: [agent] over [main] for `puppet agent`, [user] over [main] for
 * `puppet apply` (the section each reads). PuppetAgentError(settings_unavailable) when Puppet cannot say.
 */
export async function configuredNoop(s: PuppetSettings, print: SettingsPrinter = printWithPuppet): Promise<boolean> {
  const [section, keys] = s.mode === 'agent' ? (['agent', pathQuestion(s)] as const) : (['user', ['noop']] as const);
  let value: string;
  try {
    value = (await askPuppet(s, print, section, keys))['noop']!;
  } catch (err) {
    throw new PuppetAgentError(
      'settings_unavailable',
      `Could not read Puppet's noop setting with '${binaryOf(s)} config print --section ${section}': ${(err as Error).message}; ask for noop=true or noop=false explicitly`,
    );
  }
  if (value !== 'true' && value !== 'false')
    throw new PuppetAgentError('settings_unavailable', `Puppet reported noop = '${value}', not true or false`);
  return value === 'true';
}

/** Forgets what Puppet said, so the next request asks again (tests; a reconfigured node). */
export function forgetPuppetSettings(): void {
  cache.clear();
}
