// Puppet across the fleet: a status sweep counted into applying / idle / disabled, a last_run_summary sweep for the
// failed last runs, the resources changed and failed and when the nodes last ran; then enable, disable with a
// message, runonce with noop/tags/revision, and runall N, each watched live below.
import { useCallback, useEffect, useState } from 'preact/hooks';
import { get, post, query } from '../api.js';
import { ErrorLine, FilterBox, type Counter } from '../components.js';
import { useJobStream, type Row } from '../stream.js';
import { agoText, timeText } from '../util.js';
import { JobView } from './job.js';

export interface PuppetCounts {
  applying: number;
  idle: number;
  disabled: number;
  failed: number;
  answered: number;
  /** From last_run_summary: resources changed and failed in the nodes' last runs, summed. */
  changedResources: number;
  failedResources: number;
  /** Seconds since the epoch of the newest and oldest last run; 0 when none ran. */
  newestRun: number;
  oldestRun: number;
  neverRun: number;
}

/** One node's `puppet status` reply sorted into applying / idle / disabled (a disabled node is not idle). */
export function classify(data: Record<string, unknown>): { applying: boolean; idle: boolean; disabled: boolean } {
  const status = typeof data.status === 'string' ? data.status : '';
  const applying = data.applying === true || status === 'applying';
  const disabled = data.enabled === false || status === 'disabled';
  return { applying, disabled, idle: !applying && !disabled };
}

/** A `puppet last_run_summary` reply of a run that failed: the agent says so, failed resources, or failure events. */
export function lastRunFailed(data: Record<string, unknown>): boolean {
  if (data.last_run_failed === true) return true;
  const failed = Number(data.failed_resources);
  const summary = data.summary as { events?: { failure?: unknown } } | undefined;
  return (Number.isFinite(failed) && failed > 0) || Number(summary?.events?.failure ?? 0) > 0;
}

function count(rows: Row[], summaries: Row[]): PuppetCounts {
  const c: PuppetCounts = {
    applying: 0,
    idle: 0,
    disabled: 0,
    failed: 0,
    answered: 0,
    changedResources: 0,
    failedResources: 0,
    newestRun: 0,
    oldestRun: 0,
    neverRun: 0,
  };
  for (const r of rows) {
    if (r.outcome !== 'ok') continue;
    c.answered++;
    const k = classify(r.data ?? {});
    if (k.applying) c.applying++;
    if (k.idle) c.idle++;
    if (k.disabled) c.disabled++;
  }
  const positive = (v: unknown) => (Number.isFinite(Number(v)) && Number(v) > 0 ? Number(v) : 0);
  for (const r of summaries) {
    if (r.outcome !== 'ok') continue;
    const d = r.data ?? {};
    if (lastRunFailed(d)) c.failed++;
    c.changedResources += positive(d.changed_resources);
    c.failedResources += positive(d.failed_resources);
    const at = positive(d.lastrun);
    if (at === 0) c.neverRun++;
    else {
      c.newestRun = Math.max(c.newestRun, at);
      c.oldestRun = c.oldestRun === 0 ? at : Math.min(c.oldestRun, at);
    }
  }
  return c;
}

function Overview({ id, summaryId }: { id: string; summaryId: string | null }) {
  const job = useJobStream(id);
  const summaries = useJobStream(summaryId);
  const c = count(job.rows, summaryId ? summaries.rows : []);
  return (
    <div class="puppet-overview" data-testid="puppet-overview" data-ended={job.ended && (!summaryId || summaries.ended) ? '1' : '0'}>
      <span class="stat">
        Applying <b data-testid="p-applying">{c.applying}</b>
      </span>
      <span class="stat">
        Idle <b data-testid="p-idle">{c.idle}</b>
      </span>
      <span class="stat">
        Disabled <b data-testid="p-disabled">{c.disabled}</b>
      </span>
      <span class="stat">
        Failed last run <b data-testid="p-failed">{summaryId ? c.failed : '—'}</b>
      </span>
      {summaryId ? (
        <>
          <span class="stat">
            Resources changed <b data-testid="p-changed">{c.changedResources}</b>, failed{' '}
            <b data-testid="p-failed-resources">{c.failedResources}</b>
          </span>
          <span class="stat" data-testid="p-last-run">
            Last run{' '}
            {c.newestRun ? (
              <b title={`${timeText(c.newestRun * 1000)} to ${timeText(c.oldestRun * 1000)}`}>
                {agoText(c.newestRun * 1000)}
                {c.oldestRun !== c.newestRun ? ` (oldest ${agoText(c.oldestRun * 1000)})` : ''}
              </b>
            ) : (
              <b>never</b>
            )}
            {c.neverRun ? `, ${c.neverRun} never ran` : ''}
          </span>
        </>
      ) : null}
      <span class="muted">
        {c.answered} answered, {job.stats.noReply} no reply{job.ended ? '' : ', still asking…'}
      </span>
      {summaries.rows.some((r) => r.outcome === 'ok' && lastRunFailed(r.data ?? {})) ? (
        <details>
          <summary>failed last runs</summary>
          <ul data-testid="p-failed-list">
            {summaries.rows
              .filter((r) => r.outcome === 'ok' && lastRunFailed(r.data ?? {}))
              .slice(0, 200)
              .map((r) => (
                <li key={r.identity}>
                  {r.identity}: {String(r.data.failed_resources ?? 0)} failed, {String(r.data.changed_resources ?? 0)} changed
                  {Number(r.data.lastrun) > 0 ? `, ${timeText(Number(r.data.lastrun) * 1000)}` : ''}
                  {r.data.last_run_error ? ` — ${String(r.data.last_run_error)}` : ''}
                </li>
              ))}
          </ul>
        </details>
      ) : null}
      {job.rows.some((r) => r.outcome === 'ok' && r.data?.enabled === false) ? (
        <details>
          <summary>disabled nodes</summary>
          <ul data-testid="p-disabled-list">
            {job.rows
              .filter((r) => r.outcome === 'ok' && r.data?.enabled === false)
              .slice(0, 200)
              .map((r) => (
                <li key={r.identity}>
                  {r.identity}: {String(r.data.disable_message ?? '')}
                </li>
              ))}
          </ul>
        </details>
      ) : null}
    </div>
  );
}

export function PuppetPage({ params }: { params: URLSearchParams }) {
  const [filter, setFilter] = useState(params.get('filter') ?? '');
  const [overview, setOverview] = useState<{ id: string; summaryId: string | null } | null>(null);
  const [actionJob, setActionJob] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [message, setMessage] = useState('');
  const [noop, setNoop] = useState(false);
  const [tags, setTags] = useState('');
  const [revision, setRevision] = useState('');
  const [concurrency, setConcurrency] = useState('5');

  const refresh = useCallback(async () => {
    setError(null);
    try {
      // Both sweeps in one call: status, and last_run_summary (null for a role that may not run it).
      const r = await get<{ id: string; summaryId: string | null }>(`/api/puppet/overview${query({ filter })}`);
      setOverview({ id: r.id, summaryId: r.summaryId ?? null });
    } catch (e) {
      setError(e);
    }
  }, [filter]);
  useEffect(() => {
    void refresh();
    // Only the first sweep is automatic; later ones follow a click or an action.
  }, []);

  const runonceInputs = () => ({
    ...(noop ? { noop: true } : {}),
    ...(tags.trim() ? { tags: tags.trim() } : {}),
    ...(revision.trim() ? { revision: revision.trim() } : {}),
  });
  const run = async (action: string, inputs: Record<string, unknown>) => {
    setError(null);
    try {
      const r = await post<{ id: string }>('/api/jobs', { agent: 'puppet', action, inputs, filter });
      setActionJob(r.id);
    } catch (e) {
      setError(e);
    }
  };
  const runall = async () => {
    setError(null);
    try {
      const r = await post<{ id: string }>('/api/puppet/runall', { filter, concurrency: Number(concurrency), inputs: runonceInputs() });
      setActionJob(r.id);
    } catch (e) {
      setError(e);
    }
  };
  const counter = useCallback<Counter>(
    (f, signal) => get<{ count: number; total: number }>(`/api/nodes/count${query({ filter: f })}`, signal),
    [],
  );

  return (
    <div class="page" data-testid="puppet-page">
      <h2>Puppet</h2>
      <FilterBox value={filter} onInput={setFilter} counter={counter} testid="puppet-filter" />
      <div class="toolbar">
        <button type="button" data-testid="p-refresh" onClick={() => void refresh()}>
          Refresh status
        </button>
      </div>
      {overview ? <Overview id={overview.id} summaryId={overview.summaryId} key={overview.id} /> : null}
      <ErrorLine error={error} />
      <div class="puppet-actions">
        <fieldset>
          <legend>Enable / disable</legend>
          <input
            type="text"
            placeholder="why (disable message)"
            data-testid="p-message"
            value={message}
            onInput={(e) => setMessage(e.currentTarget.value)}
          />
          <button type="button" data-testid="p-disable" onClick={() => void run('disable', message ? { message } : {})}>
            Disable
          </button>
          <button type="button" data-testid="p-enable" onClick={() => void run('enable', {})}>
            Enable
          </button>
        </fieldset>
        <fieldset>
          <legend>Run once</legend>
          <label>
            <input type="checkbox" data-testid="p-noop" checked={noop} onChange={(e) => setNoop(e.currentTarget.checked)} /> noop
          </label>
          <input type="text" placeholder="tags" data-testid="p-tags" value={tags} onInput={(e) => setTags(e.currentTarget.value)} />
          <input
            type="text"
            placeholder="revision"
            data-testid="p-revision"
            value={revision}
            onInput={(e) => setRevision(e.currentTarget.value)}
          />
          <button type="button" data-testid="p-runonce" onClick={() => void run('runonce', runonceInputs())}>
            Run once
          </button>
        </fieldset>
        <fieldset>
          <legend>Run all (with the run-once options)</legend>
          at most{' '}
          <input
            type="number"
            min={1}
            class="short"
            data-testid="p-concurrency"
            value={concurrency}
            onInput={(e) => setConcurrency(e.currentTarget.value)}
          />{' '}
          at once{' '}
          <button type="button" data-testid="p-runall" onClick={() => void runall()}>
            Run all
          </button>
        </fieldset>
      </div>
      {actionJob ? <JobView id={actionJob} key={actionJob} compact onEnd={() => void refresh()} /> : null}
    </div>
  );
}
