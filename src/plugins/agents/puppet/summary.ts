// Puppet's record of its last run: last_run_summary.yaml, last_run_report.yaml and resources.txt.
import { readFile, stat } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { bounded, tellingError } from './run-record.js';

export type Section = Record<string, unknown>;

export interface RunSummary {
  version: Section;
  resources: Section;
  time: Section;
  changes: Section;
  events: Section;
  [section: string]: unknown;
}

const RESOURCE_COUNTS = ['failed', 'changed', 'corrective_change', 'total', 'restarted', 'out_of_sync'];

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** A YAML scalar as text: absent as '', structures as JSON rather than `[object Object]`. */
export function scalarText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function asSection(value: unknown): Section {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Section) : {};
}

/** Parses summary text the way the anchors load it: empty sections first, then the file, then zero counts. */
export function parseSummary(text: string | undefined): RunSummary {
  let parsed: unknown = {};
  if (text !== undefined && text.trim() !== '') {
    // Puppet writes plain YAML; a half-written or foreign file reads as an empty summary, never a crash.
    try {
      parsed = parseYaml(text, { logLevel: 'silent' }) ?? {};
    } catch {
      parsed = {};
    }
  }
  const file = asSection(parsed);
  const summary: RunSummary = { ...file, version: {}, resources: {}, time: {}, changes: {}, events: {} };
  for (const key of ['version', 'resources', 'time', 'changes', 'events'] as const) summary[key] = { ...asSection(file[key]) };
  for (const key of RESOURCE_COUNTS) summary.resources[key] ??= 0;
  return summary;
}

export async function loadSummary(file: string): Promise<RunSummary> {
  return parseSummary(await readOptional(file));
}

/** `time.last_run` in whole seconds since the epoch; 0 when Puppet never completed a run. */
export function lastRunOf(summary: RunSummary): number {
  const n = Number(summary.time['last_run']);
  return Number.isFinite(n) && n > 0 ? Math.trunc(n) : 0;
}

/** Counts per resource type in resources.txt: `file[/etc/motd]` counts as `File`, `apt::source[x]` as `Apt::Source`. */
export function typeDistribution(resourcesText: string | undefined): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of (resourcesText ?? '').split('\n')) {
    const open = line.indexOf('[');
    if (open <= 0) continue;
    const type = line
      .slice(0, open)
      .trim()
      .split('::')
      .map((part) => part.charAt(0).toUpperCase() + part.slice(1).toLowerCase())
      .join('::');
    counts[type] = (counts[type] ?? 0) + 1;
  }
  return counts;
}

export async function loadResources(file: string): Promise<string | undefined> {
  return readOptional(file);
}

/** Whether resources.txt lists `type[title]`; Puppet 7 writes the lines fully lower-cased. */
export function isManaged(resourcesText: string | undefined, type: string, title: string): boolean {
  const wanted = `${type}[${title}]`.toLowerCase();
  return (resourcesText ?? '').split('\n').some((line) => line.trim().toLowerCase() === wanted);
}

/** The titles resources.txt lists for `type` (lower-cased, as Puppet 7 writes every line). */
export function managedTitles(resourcesText: string | undefined, type: string): string[] {
  const prefix = `${type.toLowerCase()}[`;
  return (resourcesText ?? '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.toLowerCase().startsWith(prefix) && line.endsWith(']'))
    .map((line) => line.slice(prefix.length, -1));
}

export interface ReportLog {
  time_utc: number;
  time: string;
  level: string;
  source: string;
  msg: string;
}

/** The log lines of last_run_report.yaml (a Ruby-tagged YAML document; the tags are ignored). */
export function reportLogs(reportText: string | undefined): ReportLog[] {
  if (!reportText) return [];
  let report: unknown;
  try {
    report = parseYaml(reportText, { logLevel: 'silent' });
  } catch {
    return [];
  }
  const logs = asSection(report)['logs'];
  if (!Array.isArray(logs)) return [];
  return logs.map((entry) => {
    const log = asSection(entry);
    const time = scalarText(log['time']);
    const ms = Date.parse(time);
    return {
      time_utc: Number.isFinite(ms) ? Math.floor(ms / 1000) : 0,
      time,
      level: scalarText(log['level']),
      source: scalarText(log['source']),
      msg: scalarText(log['message']).replace(/\n$/, ''),
    };
  });
}

export async function loadReportLogs(file: string): Promise<ReportLog[]> {
  return reportLogs(await readOptional(file));
}

/** What last_run_report.yaml says of its run: Puppet's status word and its error lines (Facter's left out). */
export interface ReportInfo {
  status: string;
  errors: string[];
  /** The run was a no-op (`--noop` or Puppet's noop setting): it applied nothing. */
  noop: boolean;
}

const ERROR_LEVELS = new Set(['err', 'alert', 'emerg', 'crit']);
/** Reports of huge catalogs are not parsed whole on every status request: past this, only the status line is read. */
const PARSE_LIMIT = 8 << 20;
const CACHE_LIMIT = 20_000;
const reportCache = new Map<string, { mtimeMs: number; size: number; info: ReportInfo }>();

export function reportInfo(reportText: string): ReportInfo {
  if (reportText.length > PARSE_LIMIT) {
    return { status: /^status: *(\w+)/m.exec(reportText)?.[1] ?? '', errors: [], noop: /^noop: *true\s*$/m.test(reportText) };
  }
  let report: Section;
  try {
    report = asSection(parseYaml(reportText, { logLevel: 'silent' }));
  } catch {
    return { status: '', errors: [], noop: false };
  }
  const logs = Array.isArray(report['logs']) ? report['logs'].map(asSection) : [];
  const errors = logs
    .filter((l) => ERROR_LEVELS.has(scalarText(l['level'])) && scalarText(l['source']) !== 'Facter')
    .slice(0, 50)
    .map((l) => scalarText(l['message']));
  return { status: scalarText(report['status']), errors, noop: report['noop'] === true };
}

/** The report's status and errors, parsed once per version of the file (status is asked often, reports change once a run). */
export async function loadReportInfo(file: string): Promise<ReportInfo | undefined> {
  const st = await stat(file).catch(() => undefined);
  if (!st) return undefined;
  const hit = reportCache.get(file);
  if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.info;
  const text = await readOptional(file);
  if (text === undefined) return undefined;
  const info = reportInfo(text);
  if (reportCache.size >= CACHE_LIMIT) reportCache.clear();
  reportCache.set(file, { mtimeMs: st.mtimeMs, size: st.size, info });
  return info;
}

export interface LastRunVerdict {
  /** Puppet's word for the run (`failed`, `changed`, `unchanged`), or `none` when no run was recorded. */
  status: string;
  failed: boolean;
  failedResources: number;
  /** Puppet's telling error line, bounded; '' when it gave none. */
  error: string;
  /** The run was a no-op, as its report says. */
  noop: boolean;
}

/** Whether the last run failed: its report says so, a resource failed, or an event failed. */
export function lastRunVerdict(summary: RunSummary, report: ReportInfo | undefined): LastRunVerdict {
  const failedResources = Number(summary.resources['failed']) || 0;
  if (lastRunOf(summary) === 0) return { status: 'none', failed: false, failedResources, error: '', noop: false };
  const events = Number(summary.events['failure']) || 0;
  const changes = Number(summary.changes['total']) || 0;
  const word = report?.status && ['failed', 'changed', 'unchanged'].includes(report.status) ? report.status : undefined;
  const failed = word === 'failed' || failedResources > 0 || events > 0;
  const status = failed ? 'failed' : (word ?? (changes > 0 ? 'changed' : 'unchanged'));
  let error = failed ? tellingError(report?.errors ?? []) : '';
  if (failed && failedResources > 0) error = bounded(`${failedResources} resource(s) failed${error ? `: ${error}` : ''}`);
  return { status, failed, failedResources, error, noop: report?.noop === true };
}

/** The anchors' `seconds_to_human`: `05 seconds`, `3 minutes 07 seconds`, `2 days 1 hours 0 minutes 09 seconds`. */
export function secondsToHuman(total: number): string {
  let seconds = Math.max(0, Math.trunc(total));
  const days = Math.floor(seconds / 86400);
  seconds -= days * 86400;
  const hours = Math.floor(seconds / 3600);
  seconds -= hours * 3600;
  const minutes = Math.floor(seconds / 60);
  seconds -= minutes * 60;
  const ss = String(seconds).padStart(2, '0');
  if (days > 1) return `${days} days ${hours} hours ${minutes} minutes ${ss} seconds`;
  if (days === 1) return `${days} day ${hours} hours ${minutes} minutes ${ss} seconds`;
  if (hours > 0) return `${hours} hours ${minutes} minutes ${ss} seconds`;
  if (minutes > 0) return `${minutes} minutes ${ss} seconds`;
  return `${ss} seconds`;
}
