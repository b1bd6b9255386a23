// One node: facts, classes, agents, last known Puppet status and the jobs that touched it.
import { useEffect, useState } from 'preact/hooks';
import { get, type NodeDetail } from '../api.js';
import { ErrorLine, KeyValues } from '../components.js';
import { query } from '../api.js';
import { cellText, timeText } from '../util.js';

export function NodePage({ identity }: { identity: string }) {
  const [node, setNode] = useState<NodeDetail | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [factFilter, setFactFilter] = useState('');
  useEffect(() => {
    setNode(null);
    get<NodeDetail>(`/api/nodes/${encodeURIComponent(identity)}`).then(setNode, setError);
  }, [identity]);
  if (error) return <ErrorLine error={error} />;
  if (!node) return <div class="muted">loading…</div>;
  const facts = Object.entries(node.facts ?? {})
    .filter(([k]) => !factFilter || k.includes(factFilter))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return (
    <div class="page" data-testid="node-page">
      <h2 data-testid="node-identity">{node.identity}</h2>
      <div class="muted">
        last seen {timeText(node.lastSeen)}
        {node.site ? ` at site ${node.site}` : ''}
        {node.siteUnreachable ? ' (its registry cannot be read now: this is the last record read)' : ''} · collectives{' '}
        {cellText((node.collectives ?? []).join(', '), 300)} ·{' '}
        <a href={`/run${query({ filter: `identity=${node.identity}` })}`}>run on this node…</a>
      </div>
      <div class="columns">
        <section>
          <h3>Facts</h3>
          <input type="text" placeholder="fact name contains…" value={factFilter} onInput={(e) => setFactFilter(e.currentTarget.value)} />
          <KeyValues entries={facts} testid="node-facts" />
        </section>
        <section>
          <h3>Agents</h3>
          <div data-testid="node-agents">
            {(node.agents ?? []).map((a) => (
              <span class="tag" key={a}>
                {a}
              </span>
            ))}
          </div>
          <h3>Classes</h3>
          <div data-testid="node-classes">
            {(node.classes ?? []).length ? (
              (node.classes ?? []).map((c) => (
                <span class="tag" key={c}>
                  {c}
                </span>
              ))
            ) : (
              <span class="muted">none</span>
            )}
          </div>
          <h3>Last Puppet run</h3>
          {node.puppet ? <KeyValues entries={Object.entries(node.puppet)} testid="node-puppet" /> : <div class="muted">not known</div>}
          <h3>Recent jobs</h3>
          <table class="list" data-testid="node-jobs">
            <tbody>
              {(node.jobs ?? []).map((j) => (
                <tr key={j.id}>
                  <td>
                    <a href={`/jobs/${encodeURIComponent(j.id)}`}>
                      {j.agent} {j.action}
                    </a>
                  </td>
                  <td>{timeText(j.created)}</td>
                  <td>{j.state}</td>
                  <td>{cellText(j.user, 40)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {(node.jobs ?? []).length ? null : <div class="muted">none</div>}
        </section>
      </div>
    </div>
  );
}
