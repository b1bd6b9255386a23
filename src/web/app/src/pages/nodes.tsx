// The registry's nodes: a virtualised table fetched a page at a time as it scrolls, a filter box with a live count,
// fact columns of the user's choosing, and saved filters.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { del, get, post, query, type NodeRow, type UnreachableSite } from '../api.js';
import { ErrorLine, FilterBox, type Counter } from '../components.js';
import { navigate } from '../router.js';
import { agoText, cellText, timeText, useDebounced, useStored } from '../util.js';
import { Cells, Header, VirtualList, type Column } from '../virtual.js';

const PAGE = 200;

interface Page {
  total: number;
  offset: number;
  nodes: NodeRow[];
  /** The sites whose registries are read (none with one registry), and those that cannot be read now. */
  sites?: string[];
  unreachable?: UnreachableSite[];
}

export function NodesPage({ initialFilter }: { initialFilter: string }) {
  const [filter, setFilter] = useState(initialFilter);
  const settled = useDebounced(filter, 250);
  const [columns, setColumns] = useStored<string[]>('troupe.nodes.columns', []);
  const [factNames, setFactNames] = useState<string[]>([]);
  const [pickFacts, setPickFacts] = useState(false);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<unknown>(null);
  const [sites, setSites] = useState<string[]>([]);
  const [unreachable, setUnreachable] = useState<UnreachableSite[]>([]);
  const [, setTick] = useState(0);
  const pages = useRef(new Map<number, NodeRow[] | 'loading'>());
  const generation = useRef(0);
  const [saved, setSaved] = useState<{ name: string; filter: string }[]>([]);
  const [saveName, setSaveName] = useState('');

  useEffect(() => {
    get<{ names: string[] }>('/api/facts').then((r) => setFactNames(r.names), setError);
    get<{ filters: { name: string; filter: string }[] }>('/api/filters').then((r) => setSaved(r.filters), setError);
  }, []);

  const factKey = columns.join(',');
  const load = useCallback(
    (pageNo: number) => {
      const gen = generation.current;
      pages.current.set(pageNo, 'loading');
      get<Page>(`/api/nodes${query({ filter: settled, offset: pageNo * PAGE, limit: PAGE, facts: factKey, sort: 'identity' })}`).then(
        (r) => {
          if (gen !== generation.current) return;
          pages.current.set(pageNo, r.nodes);
          setTotal(r.total);
          setSites(r.sites ?? []);
          setUnreachable(r.unreachable ?? []);
          setError(null);
          setTick((t) => t + 1);
        },
        (e: unknown) => {
          if (gen !== generation.current) return;
          pages.current.delete(pageNo);
          setError(e);
          setTotal(0);
        },
      );
    },
    [settled, factKey],
  );

  // A new filter or column set starts over from the first page.
  useEffect(() => {
    generation.current++;
    pages.current.clear();
    load(0);
    navigate(`/nodes${query({ filter: settled })}`, true);
  }, [load, settled]);

  // A site lost or back shows without a reload: the count's answer carries the sites' state.
  useEffect(() => {
    const timer = setInterval(() => {
      get<{ sites?: string[]; unreachable?: UnreachableSite[] }>(`/api/nodes/count${query({ filter: settled })}`).then(
        (r) => {
          setSites(r.sites ?? []);
          setUnreachable(r.unreachable ?? []);
        },
        () => undefined,
      );
    }, 10_000);
    return () => clearInterval(timer);
  }, [settled]);

  const onRange = useCallback(
    (first: number, last: number) => {
      for (let p = Math.floor(first / PAGE); p <= Math.floor(Math.max(first, last - 1) / PAGE); p++) {
        if (!pages.current.has(p)) load(p);
      }
    },
    [load],
  );

  const counter = useCallback<Counter>(
    (f, signal) => get<{ count: number; total: number }>(`/api/nodes/count${query({ filter: f })}`, signal),
    [],
  );

  const cols: Column[] = [
    { title: 'Identity', width: '0 0 240px' },
    ...(sites.length > 1 ? [{ title: 'Site', width: '0 0 140px' }] : []),
    ...columns.map((c) => ({ title: c, width: '1 1 120px' })),
    { title: 'Last seen', width: '0 0 100px' },
    { title: 'Agents', width: '1 1 200px' },
  ];

  const nodeAt = (i: number): NodeRow | undefined => {
    const page = pages.current.get(Math.floor(i / PAGE));
    return page && page !== 'loading' ? page[i % PAGE] : undefined;
  };

  const saveFilter = async () => {
    const name = saveName.trim();
    if (!name) return;
    try {
      await post('/api/filters', { name, filter });
      setSaved([...saved.filter((s) => s.name !== name), { name, filter }]);
      setSaveName('');
    } catch (e) {
      setError(e);
    }
  };
  const removeFilter = async (name: string) => {
    try {
      await del(`/api/filters/${encodeURIComponent(name)}`);
      setSaved(saved.filter((s) => s.name !== name));
    } catch (e) {
      setError(e);
    }
  };

  return (
    <div class="page" data-testid="nodes-page">
      <h2>Nodes</h2>
      <FilterBox value={filter} onInput={setFilter} counter={counter} />
      <div class="toolbar">
        <label>
          Saved filters{' '}
          <select
            data-testid="saved-filters"
            value=""
            onChange={(e) => {
              const f = saved.find((s) => s.name === e.currentTarget.value);
              if (f) setFilter(f.filter);
            }}
          >
            <option value="">choose…</option>
            {saved.map((s) => (
              <option value={s.name} key={s.name}>
                {s.name}
              </option>
            ))}
          </select>
        </label>
        <input
          type="text"
          placeholder="name"
          value={saveName}
          data-testid="save-name"
          onInput={(e) => setSaveName(e.currentTarget.value)}
        />
        <button type="button" data-testid="save-filter" disabled={!saveName.trim()} onClick={() => void saveFilter()}>
          Save filter
        </button>
        {saved.length ? (
          <details class="inline">
            <summary>manage</summary>
            {saved.map((s) => (
              <div key={s.name}>
                <code>{s.name}</code>: {s.filter}{' '}
                <button type="button" onClick={() => void removeFilter(s.name)}>
                  delete
                </button>
              </div>
            ))}
          </details>
        ) : null}
        <span class="spacer" />
        <button type="button" data-testid="pick-columns" onClick={() => setPickFacts(!pickFacts)}>
          Fact columns ({columns.length})
        </button>
        <a href={`/run${query({ filter })}`} class="button">
          Run on these…
        </a>
      </div>
      {pickFacts ? (
        <div class="fact-picker" data-testid="fact-picker">
          {factNames.map((n) => (
            <label key={n}>
              <input
                type="checkbox"
                checked={columns.includes(n)}
                onChange={(e) => setColumns(e.currentTarget.checked ? [...columns, n] : columns.filter((c) => c !== n))}
              />
              {n}
            </label>
          ))}
          {factNames.length === 0 ? <span class="muted">no facts in the registry</span> : null}
        </div>
      ) : null}
      <ErrorLine error={error} />
      <div class="muted" data-testid="nodes-total">
        {total} nodes{sites.length > 1 ? ` from ${sites.length - unreachable.length} of ${sites.length} sites` : ''}
      </div>
      {unreachable.map((u) => (
        <div class="warning" role="status" data-testid="site-unreachable" key={u.site}>
          Site {u.site}: its registry cannot be read since {timeText(u.since)} ({u.reason}); its nodes are shown as last read.
        </div>
      ))}
      <Header columns={cols} />
      <VirtualList
        testid="nodes"
        count={total}
        height={520}
        onRange={onRange}
        onRowClick={(i) => {
          const n = nodeAt(i);
          if (n) navigate(`/nodes/${encodeURIComponent(n.identity)}`);
        }}
        renderRow={(i) => {
          const n = nodeAt(i);
          if (!n) return <span class="muted cell">…</span>;
          return (
            <Cells
              columns={cols}
              values={[
                <a href={`/nodes/${encodeURIComponent(n.identity)}`} class="identity">
                  {cellText(n.identity, 120)}
                </a>,
                ...(sites.length > 1 ? [n.site ? (n.siteUnreachable ? `${n.site} (unreachable)` : n.site) : ''] : []),
                ...columns.map((c) => cellText(n.facts?.[c], 120)),
                n.lastSeen ? agoText(n.lastSeen) : '',
                cellText((n.agents ?? []).join(' '), 200),
              ]}
            />
          );
        }}
      />
    </div>
  );
}
