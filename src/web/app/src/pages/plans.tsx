// Rollout plans: the runs in the plan store, a form to start one from its YAML, and a run's live state with
// pause and resume.
import { useEffect, useState } from 'preact/hooks';
import { get, post } from '../api.js';
import { ErrorLine, KeyValues } from '../components.js';
import { navigate } from '../router.js';
import { cellText, timeText } from '../util.js';

interface PlanRun {
  id: string;
  plan: string;
  state: string;
  started?: number;
  batch?: number;
  batches?: number;
  [key: string]: unknown;
}

export function PlansPage() {
  const [runs, setRuns] = useState<PlanRun[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [yaml, setYaml] = useState('');
  const [inputs, setInputs] = useState('{}');
  useEffect(() => {
    get<{ runs: PlanRun[] }>('/api/plans').then((r) => setRuns(r.runs), setError);
  }, []);
  const start = async () => {
    setError(null);
    let parsed: unknown;
    try {
      parsed = JSON.parse(inputs || '{}');
    } catch {
      setError(new Error('inputs must be a JSON object, e.g. {"message": "deploy"}'));
      return;
    }
    try {
      const r = await post<{ id: string }>('/api/plans', { plan: yaml, inputs: parsed });
      navigate(`/plans/${encodeURIComponent(r.id)}`);
    } catch (e) {
      setError(e);
    }
  };
  return (
    <div class="page" data-testid="plans-page">
      <h2>Plans</h2>
      <ErrorLine error={error} />
      <table class="list" data-testid="plans">
        <thead>
          <tr>
            <th>Run</th>
            <th>Plan</th>
            <th>State</th>
            <th>Started</th>
            <th>Batch</th>
          </tr>
        </thead>
        <tbody>
          {(runs ?? []).map((r) => (
            <tr key={r.id}>
              <td>
                <a href={`/plans/${encodeURIComponent(r.id)}`}>{r.id}</a>
              </td>
              <td>{cellText(r.plan, 80)}</td>
              <td>{cellText(r.state, 40)}</td>
              <td>{timeText(r.started)}</td>
              <td>{r.batches ? `${r.batch ?? 0} / ${r.batches}` : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {runs && runs.length === 0 ? <div class="muted">No plan runs yet.</div> : null}
      <h3>Start a plan</h3>
      <textarea
        rows={12}
        class="code"
        data-testid="plan-yaml"
        placeholder="plan YAML"
        value={yaml}
        onInput={(e) => setYaml(e.currentTarget.value)}
      />
      <label>
        Inputs (JSON){' '}
        <input type="text" class="code" data-testid="plan-inputs" value={inputs} onInput={(e) => setInputs(e.currentTarget.value)} />
      </label>
      <button type="button" class="primary" data-testid="plan-start" disabled={!yaml.trim()} onClick={() => void start()}>
        Start
      </button>
    </div>
  );
}

export function PlanPage({ id }: { id: string }) {
  const [run, setRun] = useState<PlanRun | null>(null);
  const [ended, setEnded] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let live = true;
    get<PlanRun>(`/api/plans/${encodeURIComponent(id)}`).then(
      (r) => live && setRun(r),
      (e: unknown) => live && setError(e),
    );
    const es = new EventSource(`/api/plans/${encodeURIComponent(id)}/events`);
    const apply = (e: Event) => {
      if (live) setRun(JSON.parse((e as MessageEvent<string>).data) as PlanRun);
    };
    es.addEventListener('state', apply);
    es.addEventListener('end', (e) => {
      apply(e);
      setEnded(true);
      es.close();
    });
    return () => {
      live = false;
      es.close();
    };
  }, [id]);
  const act = async (what: 'pause' | 'resume') => {
    try {
      await post(`/api/plans/${encodeURIComponent(id)}/${what}`);
    } catch (e) {
      setError(e);
    }
  };
  return (
    <div class="page" data-testid="plan-page">
      <h2>
        Plan run <code>{id}</code>
      </h2>
      <ErrorLine error={error} />
      <div class="toolbar">
        <span data-testid="plan-state">{run ? cellText(run.state, 40) : '…'}</span>
        {run?.batches ? (
          <progress max={run.batches} value={run.batch ?? 0}>
            {run.batch ?? 0} / {run.batches}
          </progress>
        ) : null}
        <button type="button" data-testid="plan-pause" disabled={ended} onClick={() => void act('pause')}>
          Pause
        </button>
        <button type="button" data-testid="plan-resume" disabled={ended} onClick={() => void act('resume')}>
          Resume
        </button>
      </div>
      {run ? <KeyValues entries={Object.entries(run)} testid="plan-run" /> : null}
    </div>
  );
}
