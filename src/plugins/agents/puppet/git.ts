// Masterless revisions: fetch the configured remote and resolve a requested revision, refusing anything that is
// not an allowed branch or tag, or a commit reachable from one. Fetched refs live under refs/troupe/, apart from
// the working copy's own branches and remotes.
import { execFile } from 'node:child_process';
import { PuppetAgentError } from './errors.js';

const HEADS = 'refs/troupe/heads/';
const TAGS = 'refs/troupe/tags/';

export interface GitOptions {
  codedir: string;
  remote: string;
  allowedRefs: readonly string[];
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface ResolvedRevision {
  /** The full commit id to check out. */
  commit: string;
  /** The allowed branch or tag that names it or contains it. */
  ref: string;
}

export function git(codedir: string, args: string[], timeoutMs: number, signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      ['-C', codedir, ...args],
      { timeout: timeoutMs, signal, maxBuffer: 16 << 20, env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' } },
      (err, stdout, stderr) => {
        if (err) {
          const detail = stderr.trim().split('\n').filter(Boolean).pop() ?? err.message;
          reject(new Error((err as { killed?: boolean }).killed ? `git ${args[0]} took longer than ${timeoutMs / 1000} seconds` : detail));
        } else {
          resolve(stdout);
        }
      },
    );
  });
}

/** Glob match of a branch or tag name against `*` patterns; `*` may span `/`. */
export function refAllowed(name: string, patterns: readonly string[]): boolean {
  return patterns.some((p) =>
    new RegExp(
      `^${p
        .split('*')
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    ).test(name),
  );
}

/** What a revision may look like: a ref name or a commit id, never an option or a range. */
export function checkRevisionSyntax(revision: string): void {
  const bad =
    !/^[A-Za-z0-9_][A-Za-z0-9._/-]*$/.test(revision) ||
    revision.includes('..') ||
    revision.includes('//') ||
    revision.endsWith('/') ||
    revision.endsWith('.lock') ||
    revision.endsWith('.');
  if (bad) throw new PuppetAgentError('invalid_input', `Invalid revision '${revision}' specified`);
}

async function refCommit(o: GitOptions, ref: string): Promise<string | undefined> {
  try {
    return (await git(o.codedir, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], o.timeoutMs, o.signal)).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Fetches every branch and tag of the remote, then resolves `revision` under the allow-list. */
export async function resolveRevision(o: GitOptions, revision: string): Promise<ResolvedRevision> {
  checkRevisionSyntax(revision);
  if (o.allowedRefs.length === 0) {
    throw new PuppetAgentError('not_allowed', 'No git revisions may be requested on this node: plugin.puppet.git_allowed_refs is not set');
  }
  try {
    await git(
      o.codedir,
      ['fetch', '--quiet', '--prune', '--force', o.remote, `+refs/heads/*:${HEADS}*`, `+refs/tags/*:${TAGS}*`],
      o.timeoutMs,
      o.signal,
    );
  } catch (err) {
    throw new PuppetAgentError('git_failed', `Could not fetch from ${o.remote}: ${(err as Error).message}`);
  }
  for (const [prefix, kind] of [
    [HEADS, 'branch'],
    [TAGS, 'tag'],
  ] as const) {
    const commit = await refCommit(o, prefix + revision);
    if (commit === undefined) continue;
    if (!refAllowed(revision, o.allowedRefs)) {
      throw new PuppetAgentError('not_allowed', `The ${kind} '${revision}' is not in the allowed refs (${o.allowedRefs.join(', ')})`);
    }
    return { commit, ref: revision };
  }
  if (!/^[0-9a-f]{4,64}$/i.test(revision)) throw new PuppetAgentError('invalid_input', `Unknown revision '${revision}' at ${o.remote}`);
  const commit = await refCommit(o, revision);
  if (commit === undefined) throw new PuppetAgentError('invalid_input', `Unknown revision '${revision}' at ${o.remote}`);
  const containing = await git(
    o.codedir,
    ['for-each-ref', '--contains', commit, '--format=%(refname)', HEADS, TAGS],
    o.timeoutMs,
    o.signal,
  );
  const names = containing
    .split('\n')
    .filter(Boolean)
    .map((r) => r.replace(HEADS, '').replace(TAGS, ''));
  const allowed = names.find((n) => refAllowed(n, o.allowedRefs));
  if (allowed === undefined) {
    throw new PuppetAgentError('not_allowed', `Revision '${revision}' is not on an allowed branch or tag (${o.allowedRefs.join(', ')})`);
  }
  return { commit, ref: allowed };
}
