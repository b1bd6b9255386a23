// Enabling and disabling Puppet: the same lock file, in the same JSON, that `puppet agent --disable` writes.
import { link, mkdir, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { PuppetAgentError } from './errors.js';
import type { PuppetPaths } from './paths.js';

/**
 * Writes the disable lock with `message`. The complete file appears at once (written aside, then linked
 * into place), and linking fails when a lock already exists, so two disables never overwrite each other.
 */
export async function disablePuppet(paths: Pick<PuppetPaths, 'agent_disabled_lockfile'>, message: string): Promise<void> {
  const lock = paths.agent_disabled_lockfile;
  await mkdir(dirname(lock), { recursive: true });
  const temp = join(dirname(lock), `.${basename(lock)}.${process.pid}.${Date.now()}.tmp`);
  await writeFile(temp, JSON.stringify({ disabled_message: message }), { mode: 0o644 });
  try {
    await link(temp, lock);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new PuppetAgentError('already_disabled', 'Already disabled');
    throw err;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

export async function enablePuppet(paths: Pick<PuppetPaths, 'agent_disabled_lockfile'>): Promise<void> {
  try {
    await unlink(paths.agent_disabled_lockfile);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new PuppetAgentError('already_enabled', 'Already enabled');
    throw err;
  }
}

/** The anchors' default message: `Disabled via MCollective by <caller> at <YYYY-MM-DD HH:MM>`, naming troupe instead. */
export function defaultDisableMessage(caller: string, now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())} ${pad(now.getHours())}:${pad(now.getMinutes())}`;
  return `Disabled via troupe by ${caller} at ${stamp}`;
}
