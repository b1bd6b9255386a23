// Run any action the role may run: agent and action from the DDL, the generated input form, filter with a preview of
// how many nodes will be hit (the role's scope applied), batch and limit options.
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, get, post, type DdlAgent } from '../api.js';
import { ErrorLine, FilterBox, type Counter } from '../components.js';
import { DdlForm, collect, initialValues, type FormValues } from '../ddlform.js';
import { navigate } from '../router.js';

export function RunPage({ params }: { params: URLSearchParams }) {
  const [agents, setAgents] = useState<DdlAgent[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [agentName, setAgentName] = useState(params.get('agent') ?? '');
  const [actionName, setActionName] = useState(params.get('action') ?? '');
  const [filter, setFilter] = useState(params.get('filter') ?? '');
  const [values, setValues] = useState<FormValues>({});
  const [batchSize, setBatchSize] = useState('');
  const [batchSleep, setBatchSleep] = useState('');
  const [limit, setLimit] = useState('');
  const [fieldError, setFieldError] = useState<{ field: string; message: string } | null>(null);
  const [preview, setPreview] = useState<number | null>(null);
  const [sending, setSending] = useState(false);

  useEffect(() => {
    get<{ agents: DdlAgent[] }>('/api/agents').then((r) => setAgents(r.agents), setError);
  }, []);
  const agent = agents.find((a) => a.name === agentName);
  const action = agent?.actions.find((a) => a.name === actionName);
  useEffect(() => {
    setValues(action ? initialValues(action.input) : {});
    setFieldError(null);
  }, [action]);

  const counter = useCallback<Counter>(
    async (f) => {
      if (!agentName || !actionName) return get<{ count: number; total: number }>(`/api/nodes/count?filter=${encodeURIComponent(f)}`);
      const r = await post<{ count: number | null; scopedFilter: string }>('/api/preview', {
        agent: agentName,
        action: actionName,
        filter: f,
      });
      return { count: r.count, scopedFilter: r.scopedFilter };
    },
    [agentName, actionName],
  );

  const send = async () => {
    if (!action) return;
    const c = collect(action.input, values);
    if ('field' in c) {
      setFieldError(c);
      return;
    }
    setFieldError(null);
    setError(null);
    setSending(true);
    const num = (s: string) => (s.trim() === '' ? undefined : Number(s));
    try {
      const r = await post<{ id: string }>('/api/jobs', {
        agent: agentName,
        action: actionName,
        inputs: c.inputs,
        filter,
        batchSize: num(batchSize),
        batchSleep: num(batchSleep),
        limit: limit.trim() === '' ? undefined : limit.trim(),
      });
      performance.mark(`troupe:accepted:${r.id}`);
      navigate(`/jobs/${encodeURIComponent(r.id)}`);
    } catch (e) {
      if (e instanceof ApiError && e.field) setFieldError({ field: e.field, message: e.message });
      else setError(e);
    } finally {
      setSending(false);
    }
  };

  const sortedAgents = useMemo(() => [...agents].sort((a, b) => a.name.localeCompare(b.name)), [agents]);
  return (
    <div class="page" data-testid="run-page">
      <h2>Run</h2>
      <ErrorLine error={error} />
      <div class="toolbar">
        <label>
          Agent{' '}
          <select
            data-testid="agent"
            value={agentName}
            onChange={(e) => {
              setAgentName(e.currentTarget.value);
              setActionName('');
            }}
          >
            <option value="">choose…</option>
            {sortedAgents.map((a) => (
              <option value={a.name} key={a.name}>
                {a.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Action{' '}
          <select data-testid="action" value={actionName} onChange={(e) => setActionName(e.currentTarget.value)}>
            <option value="">choose…</option>
            {(agent?.actions ?? []).map((a) => (
              <option value={a.name} key={a.name}>
                {a.name}
              </option>
            ))}
          </select>
        </label>
      </div>
      {agent?.description ? <div class="muted">{agent.description}</div> : null}
      {action ? (
        <>
          {action.description ? <p>{action.description}</p> : null}
          <DdlForm
            inputs={action.input}
            values={values}
            onChange={setValues}
            errorField={fieldError?.field}
            errorMessage={fieldError?.message}
          />
        </>
      ) : null}
      <h3>Targets</h3>
      <FilterBox value={filter} onInput={setFilter} counter={counter} onCount={setPreview} testid="run-filter" />
      <div class="toolbar">
        <label>
          Batch size{' '}
          <input type="number" min={1} data-testid="batch-size" value={batchSize} onInput={(e) => setBatchSize(e.currentTarget.value)} />
        </label>
        <label>
          Batch sleep (s) <input type="number" min={0} value={batchSleep} onInput={(e) => setBatchSleep(e.currentTarget.value)} />
        </label>
        <label>
          Limit (n or n%) <input type="text" data-testid="limit" value={limit} onInput={(e) => setLimit(e.currentTarget.value)} />
        </label>
      </div>
      <div class="toolbar">
        <button type="button" class="primary" data-testid="send" disabled={!action || sending} onClick={() => void send()}>
          Run {agentName} {actionName} on {preview ?? '?'} nodes
        </button>
        {fieldError && !action?.input[fieldError.field] ? <span class="error">{fieldError.message}</span> : null}
      </div>
    </div>
  );
}
