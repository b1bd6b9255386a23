// A job's live results: box score, the DDL's aggregate summaries, a virtualised table of replies, the raw reply.
import { useEffect, useState } from 'preact/hooks';
import { fetchPrefix, post, type Aggregate } from '../api.js';
import { BoxScore, ErrorLine } from '../components.js';
import { navigate } from '../router.js';
import { useJobStream, type Outcome, type Row } from '../stream.js';
import { cellText, errorText, timeText } from '../util.js';
import { Cells, Header, VirtualList, type Column } from '../virtual.js';

const RAW_PREFIX_BYTES = 64 * 1024;

const COLUMNS: Column[] = [
  { title: 'Node', width: '0 0 220px' },
  { title: 'Outcome', width: '0 0 90px' },
  { title: 'Message', width: '0 0 200px' },
  { title: 'ms', width: '0 0 60px' },
  { title: 'Data', width: '1 1 auto' },
];

function outcomeText(r: Row): string {
  if (r.outcome === 'noreply') return 'no reply';
  return r.statuscode === 0 ? 'OK' : `failed (${r.statuscode})`;
}

function AggregateView({ aggregates }: { aggregates: Aggregate[] }) {
  if (!aggregates.length) return null;
  return (
    <div class="aggregates" data-testid="aggregates">
      {aggregates.map((a, i) => (
        <div class="aggregate" key={`${a.field}-${i}`}>
          <h4>
            {cellText(a.displayAs || a.field, 80)} <span class="muted">({cellText(a.function, 40)})</span>
          </h4>
          {Array.isArray(a.value) ? (
            <table class="kv">
              <tbody>
                {a.value.slice(0, 20).map(([name, n], j) => (
                  <tr key={j}>
                    <th>{cellText(name, 80)}</th>
                    <td>{cellText(n, 40)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <div>{a.count === 0 ? <span class="muted">no values</span> : cellText(a.value, 80)}</div>
          )}
          {Array.isArray(a.value) && a.value.length > 20 ? <div class="muted">and {a.value.length - 20} more values</div> : null}
          <div class="muted">from {a.count} replies</div>
        </div>
      ))}
    </div>
  );
}

/** The whole reply, read only up to a bounded prefix; the full text is a download away. */
function RawReply({ jobId, identity, onClose }: { jobId: string; identity: string; onClose: () => void }) {
  const [text, setText] = useState<{ text: string; complete: boolean; bytes: number } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const url = `/api/jobs/${encodeURIComponent(jobId)}/replies/${encodeURIComponent(identity)}`;
  useEffect(() => {
    let live = true;
    setText(null);
    setError(null);
    fetchPrefix(url, RAW_PREFIX_BYTES).then(
      (t) => live && setText(t),
      (e: unknown) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [url]);
  return (
    <div class="raw" data-testid="raw-reply">
      <div class="raw-head">
        <b>{identity}</b> raw reply{' '}
        <a href={url} download={`${identity}.json`} data-testid="raw-download">
          download
        </a>{' '}
        <button type="button" onClick={onClose}>
          close
        </button>
      </div>
      <ErrorLine error={error} />
      {text ? (
        <>
          {text.complete ? null : (
            <div class="muted" data-testid="raw-truncated">
              Showing the first {Math.round(RAW_PREFIX_BYTES / 1024)} KB; download for the whole reply.
            </div>
          )}
          <pre class="raw-text">{text.text}</pre>
        </>
      ) : error ? null : (
        <div class="muted">loading…</div>
      )}
    </div>
  );
}

export function JobView({ id, compact, onEnd }: { id: string; compact?: boolean; onEnd?: () => void }) {
  const job = useJobStream(id);
  const ended = job.ended;
  // The Puppet page sweeps the status again once its action job ends, so the counts show the action's effect.
  useEffect(() => {
    if (ended) onEnd?.();
    // onEnd is read when the job ends, not watched.
  }, [ended]);
  const [outcome, setOutcome] = useState<Outcome | 'all'>('all');
  const [selected, setSelected] = useState<string | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const index = outcome === 'all' ? null : job.byOutcome[outcome];
  const count = index ? index.length : job.rows.length;
  const rowAt = (i: number): Row | undefined => job.rows[index ? (index[i] ?? -1) : i];
  const running = !job.ended && (job.state === 'running' || job.state === '');
  const s = job.summary;

  const rerun = async (on: 'failed' | 'noreply') => {
    setBusy(true);
    setActionError(null);
    try {
      const r = await post<{ id: string }>(`/api/jobs/${encodeURIComponent(id)}/rerun`, { on });
      navigate(`/jobs/${encodeURIComponent(r.id)}`);
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy(false);
    }
  };
  const cancel = async () => {
    setBusy(true);
    try {
      await post(`/api/jobs/${encodeURIComponent(id)}/cancel`);
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="job" data-testid="job" data-job-id={id}>
      {s ? (
        <div class="job-head">
          <h3>
            {cellText(s.agent, 60)} {cellText(s.action, 60)}{' '}
            <a href={`/jobs/${encodeURIComponent(id)}`} class="muted" data-testid="job-link">
              {id}
            </a>
          </h3>
          {s.rerunOf ? (
            <div class="muted">
              rerun on {s.rerunOf.on === 'noreply' ? 'no reply' : 'failed'} of{' '}
              <a href={`/jobs/${encodeURIComponent(s.rerunOf.id)}`}>{s.rerunOf.id}</a>
            </div>
          ) : null}
          {s.error ? (
            <div class="error" data-testid="job-error">
              {cellText(s.error, 2000)}
            </div>
          ) : null}
          {compact ? null : (
            <div class="muted">
              by {cellText(s.user, 60)} at {timeText(s.created)}
              {s.finished ? `, finished ${timeText(s.finished)}` : ''} · filter <code>{cellText(s.filter || '(whole fleet)', 300)}</code>
              {Object.keys(s.inputs ?? {}).length ? (
                <>
                  {' '}
                  · inputs <code>{cellText(s.inputs, 300)}</code>
                </>
              ) : null}
            </div>
          )}
        </div>
      ) : null}
      <ErrorLine error={job.error} />
      <BoxScore stats={job.stats} state={job.ended ? job.state : job.state || 'running'} />
      <div class="toolbar">
        {running ? (
          <button type="button" data-testid="cancel" disabled={busy} onClick={() => void cancel()}>
            Cancel
          </button>
        ) : null}
        <button
          type="button"
          data-testid="rerun-failed"
          disabled={busy || !job.ended || job.stats.failed === 0}
          onClick={() => void rerun('failed')}
        >
          Rerun on failed ({job.stats.failed})
        </button>
        <button
          type="button"
          data-testid="rerun-noreply"
          disabled={busy || !job.ended || job.stats.noReply === 0}
          onClick={() => void rerun('noreply')}
        >
          Rerun on no reply ({job.stats.noReply})
        </button>
        <span class="spacer" />
        <label>
          Show{' '}
          <select value={outcome} data-testid="outcome" onChange={(e) => setOutcome(e.currentTarget.value as Outcome | 'all')}>
            <option value="all">all</option>
            <option value="ok">OK</option>
            <option value="failed">failed</option>
            <option value="noreply">no reply</option>
          </select>
        </label>
        <span class="muted" data-testid="row-count">
          {count} rows
        </span>
      </div>
      {actionError ? <div class="error">{errorText(actionError)}</div> : null}
      <AggregateView aggregates={job.aggregates} />
      <Header columns={COLUMNS} />
      <VirtualList
        testid="replies"
        count={count}
        height={compact ? 280 : 440}
        rowClass={(i) => `o-${rowAt(i)?.outcome ?? ''}`}
        onRowClick={(i) => {
          const r = rowAt(i);
          if (r && r.outcome !== 'noreply') setSelected(r.identity);
        }}
        renderRow={(i) => {
          const r = rowAt(i);
          if (!r) return null;
          return (
            <Cells
              columns={COLUMNS}
              values={[
                <span class="identity">{cellText(r.identity, 120)}</span>,
                outcomeText(r),
                cellText(r.statusmsg, 120),
                r.ms === undefined ? '' : String(Math.round(r.ms)),
                <span class="data">
                  {cellText(r.data, 160)}
                  {r.truncated ? <span class="badge">truncated</span> : null}
                </span>,
              ]}
            />
          );
        }}
      />
      {selected ? <RawReply jobId={id} identity={selected} onClose={() => setSelected(null)} /> : null}
    </div>
  );
}

export function JobPage({ id }: { id: string }) {
  return <JobView id={id} key={id} />;
}
