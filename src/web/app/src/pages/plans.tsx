// Rollout plans: the runs in the plan store, a form to start one from its YAML, and a run's live state with
// pause and resume.
import { useEffect, useState } from 'preact/hooks';
import { get, post } from '../api.js';
import { ErrorLine, KeyValues } from '../components.js';
import { navigate } from '../router.js';
import { cellText } from '../util.js';

/** A run as the plan store keeps it (plan/store.ts), with what the web console adds. */
interface PlanRun {
  id: string;
  plan: string;
  state: string;
  caller?: string;
  startedAt?: string;
  started?: string;
  updatedAt?: string;
  finishedAt?: string;
  currentStep?: string;
  reason?: string;
  inputs?: Record<string, unknown>;
  live?: boolean;
}

interface StepRecord {
  step: string;
  state: string;
  startedAt?: string;
  finishedAt?: string;
}

type PlanEvent = { type: string; [key: string]: unknown };

interface PlanState extends PlanRun {
  steps?: StepRecord[];
  /** Running in the store but not in this console: resume it. */
  paused?: boolean;
  events?: PlanEvent[];
  last?: PlanEvent;
}

function isoText(s: string | undefined): string {
  return s ? s.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '';
}

/** One line per runner event, as text. */
function eventText(e: PlanEvent): string {
  const v = (k: string) => cellText(e[k], 120);
  switch (e.type) {
    case 'start':
      return `started ${v('plan')} by ${v('caller')}${e.resumed ? ' (resumed)' : ''}`;
    case 'nodes':
      return `node set ${v('set')}: ${v('count')} nodes (${v('method')})`;
    case 'step':
      return `step ${v('step')} (${v('kind')})${e.nodes !== undefined ? ` on ${v('nodes')} nodes` : ''}`;
    case 'batch': {
      const failed = Array.isArray(e.failed) ? e.failed.length : 0;
      const silent = Array.isArray(e.silent) ? e.silent.length : 0;
      return `${v('step')}: batch ${v('batch')}/${v('of')}, ${v('ok')} ok, ${failed} failed, ${silent} no reply`;
    }
    case 'step_done':
      return `step ${v('step')} ${v('state')}`;
    case 'message':
    case 'waiting':
      return `${e.step ? `${v('step')}: ` : ''}${v('text')}`;
    case 'stopped':
      return `stopped (${v('state')}): ${v('reason')}`;
    case 'finish':
      return `finished: ${v('state')}`;
    default:
      return cellText(e, 200);
  }
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
            <th>Step</th>
          </tr>
        </thead>
        <tbody>
          {(runs ?? []).map((r) => (
            <tr key={r.id}>
              <td>
                <a href={`/plans/${encodeURIComponent(r.id)}`}>{r.id}</a>
              </td>
              <td>{cellText(r.plan, 80)}</td>
              <td>
                {cellText(r.state, 40)}
                {r.live ? ' (live)' : ''}
              </td>
              <td>{isoText(r.startedAt ?? r.started)}</td>
              <td>{cellText(r.currentStep ?? '', 80)}</td>
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
  const [run, setRun] = useState<PlanState | null>(null);
  const [streamEnded, setStreamEnded] = useState(false);
  const [events, setEvents] = useState<PlanEvent[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  // A resumed run is watched anew.
  const [watch, setWatch] = useState(0);
  useEffect(() => {
    let live = true;
    setStreamEnded(false);
    const es = new EventSource(`/api/plans/${encodeURIComponent(id)}/events`);
    es.addEventListener('state', (e) => {
      if (!live) return;
      const state = JSON.parse((e as MessageEvent<string>).data) as PlanState;
      setRun((old) => ({ ...old, ...state }));
      if (state.events) setEvents(state.events.slice(-200));
      else if (state.last) {
        const last = state.last;
        setEvents((old) => [...old, last].slice(-200));
      }
    });
    es.addEventListener('end', (e) => {
      es.close();
      if (!live) return;
      const end = JSON.parse((e as MessageEvent<string>).data) as { state?: string; reason?: string };
      setStreamEnded(true);
      // Read the store once more: a paused run stays `running` there, to be resumed.
      get<PlanState>(`/api/plans/${encodeURIComponent(id)}`).then(
        (r) => live && setRun(r),
        () => live && setRun((old) => (old ? { ...old, state: end.state ?? old.state, reason: end.reason } : old)),
      );
    });
    es.onerror = () => {
      if (es.readyState === EventSource.CLOSED && live) setStreamEnded(true);
    };
    return () => {
      live = false;
      es.close();
    };
  }, [id, watch]);
  const act = async (what: 'pause' | 'resume') => {
    setBusy(true);
    setError(null);
    try {
      await post(`/api/plans/${encodeURIComponent(id)}/${what}`);
      if (what === 'resume') setWatch((w) => w + 1);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const running = run?.state === 'running';
  const paused = running && (streamEnded || run?.paused === true);
  return (
    <div class="page" data-testid="plan-page">
      <h2>
        Plan run <code>{id}</code> {run ? cellText(run.plan, 80) : ''}
      </h2>
      <ErrorLine error={error} />
      <div class="toolbar">
        <span class="state" data-testid="plan-state">
          {run ? (paused ? 'paused' : cellText(run.state, 40)) : '…'}
        </span>
        {run?.currentStep ? <span>step {cellText(run.currentStep, 80)}</span> : null}
        <button type="button" data-testid="plan-pause" disabled={busy || !running || paused} onClick={() => void act('pause')}>
          Pause
        </button>
        <button type="button" data-testid="plan-resume" disabled={busy || !paused} onClick={() => void act('resume')}>
          Resume
        </button>
      </div>
      {run?.reason ? <div class={paused ? 'muted' : 'error'}>{cellText(run.reason, 2000)}</div> : null}
      {run ? (
        <KeyValues
          testid="plan-run"
          entries={[
            ['started', `${isoText(run.startedAt)} by ${run.caller ?? ''}`],
            ['updated', isoText(run.updatedAt)],
            ['finished', isoText(run.finishedAt)],
            ['inputs', run.inputs ?? {}],
          ]}
        />
      ) : null}
      <h3>Steps</h3>
      <table class="list" data-testid="plan-steps">
        <tbody>
          {(run?.steps ?? []).map((st) => (
            <tr key={st.step}>
              <td>{cellText(st.step, 80)}</td>
              <td>{cellText(st.state, 20)}</td>
              <td>{isoText(st.startedAt)}</td>
              <td>{isoText(st.finishedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Events</h3>
      <ol class="events" data-testid="plan-events">
        {events.map((e, i) => (
          <li key={i}>{eventText(e)}</li>
        ))}
      </ol>
    </div>
  );
}
