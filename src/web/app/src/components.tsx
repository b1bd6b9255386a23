// Pieces shared by the pages: the filter box with its live count and caret errors, the box score, error lines.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, type Stats } from './api.js';
import { cellText, errorText, useDebounced } from './util.js';

export function ErrorLine({ error }: { error: unknown }) {
  if (!error) return null;
  const hint = error instanceof ApiError ? error.hint : undefined;
  return (
    <div class="error" role="alert" data-testid="error">
      {errorText(error)}
      {hint ? <div class="hint">{hint}</div> : null}
    </div>
  );
}

/** The server's caret error: the filter text, a caret under the offending character, then the message. */
export function CaretError({ error }: { error: ApiError }) {
  const caret = error.caret;
  if (!caret) return <ErrorLine error={error} />;
  const column = Math.max(0, Math.min(caret.column, 10_000));
  return (
    <pre class="caret-error" role="alert" data-testid="filter-error">
      {`${caret.text}\n${' '.repeat(column)}^\n${error.message}`}
    </pre>
  );
}

export interface CountResult {
  count: number | null;
  total?: number;
  /** The filter as the role's scope narrowed it. */
  scopedFilter?: string;
}

export type Counter = (filter: string, signal: AbortSignal) => Promise<CountResult>;

/**
 * A filter box in mco's filter language. The count is asked for once typing pauses (250 ms), and a newer
 * keystroke aborts the older question, so answers never arrive out of order.
 */
export function FilterBox(props: {
  value: string;
  onInput: (v: string) => void;
  counter: Counter;
  onCount?: (count: number | null) => void;
  placeholder?: string;
  testid?: string;
}) {
  const settled = useDebounced(props.value, 250);
  const [count, setCount] = useState<CountResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const { counter, onCount } = props;
  useEffect(() => {
    const ctl = new AbortController();
    setBusy(true);
    counter(settled, ctl.signal).then(
      (c) => {
        setCount(c);
        setError(null);
        setBusy(false);
        onCount?.(c.count);
      },
      (e: unknown) => {
        if (ctl.signal.aborted) return;
        setError(e);
        setCount(null);
        setBusy(false);
        onCount?.(null);
      },
    );
    return () => ctl.abort();
  }, [settled, counter, onCount]);
  return (
    <div class="filter-box">
      <input
        type="text"
        class="filter-input"
        data-testid={props.testid ?? 'filter'}
        value={props.value}
        placeholder={props.placeholder ?? 'filter, e.g. role=web and os.family=Debian'}
        spellcheck={false}
        autocomplete="off"
        onInput={(e) => props.onInput(e.currentTarget.value)}
      />
      <span class="count" data-testid="filter-count" data-busy={busy || settled !== props.value ? '1' : '0'}>
        {error
          ? '—'
          : !count
            ? '…'
            : count.count === null
              ? 'count unknown (no registry)'
              : count.total !== undefined
                ? `${count.count} of ${count.total} nodes`
                : `${count.count} nodes`}
      </span>
      {count?.scopedFilter && count.scopedFilter !== props.value ? (
        <div class="muted" data-testid="scoped-filter">
          your role narrows this to <code>{count.scopedFilter}</code>
        </div>
      ) : null}
      {error instanceof ApiError ? <CaretError error={error} /> : error ? <ErrorLine error={error} /> : null}
    </div>
  );
}

export function BoxScore({ stats, state }: { stats: Stats; state?: string }) {
  return (
    <div class="boxscore" data-testid="boxscore" data-state={state ?? ''}>
      <span class="ok">
        OK <b data-testid="score-ok">{stats.ok}</b>
      </span>
      <span class="failed">
        Failed <b data-testid="score-failed">{stats.failed}</b>
      </span>
      <span class="noreply">
        No reply <b data-testid="score-noreply">{stats.noReply}</b>
      </span>
      <span class="pending">
        Pending <b data-testid="score-pending">{stats.pending}</b>
      </span>
      <span>
        Total <b data-testid="score-total">{stats.total}</b>
      </span>
      {state ? (
        <span class={`state state-${state}`} data-testid="job-state">
          {state}
        </span>
      ) : null}
    </div>
  );
}

export function KeyValues({ entries, testid }: { entries: [string, unknown][]; testid?: string }) {
  return (
    <table class="kv" data-testid={testid}>
      <tbody>
        {entries.map(([k, v]) => (
          <tr key={k}>
            <th>{k}</th>
            <td>{cellText(v, 2000)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
