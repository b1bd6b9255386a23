// The troupe web console: a single-page app over the `mco web` HTTP API. Everything is rendered as text.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, get, post, setCsrfToken, setUnauthorisedHandler, type Session } from './api.js';
import { ErrorLine } from './components.js';
import { HistoryPage } from './pages/history.js';
import { JobPage } from './pages/job.js';
import { LoginPage } from './pages/login.js';
import { NodePage } from './pages/node.js';
import { NodesPage } from './pages/nodes.js';
import { PlanPage, PlansPage } from './pages/plans.js';
import { PuppetPage } from './pages/puppet.js';
import { RunPage } from './pages/run.js';
import { navigate, onLinkClick, useLocation } from './router.js';
import './style.css';

const NAV: [string, string][] = [
  ['/nodes', 'Nodes'],
  ['/run', 'Run'],
  ['/puppet', 'Puppet'],
  ['/history', 'History'],
  ['/plans', 'Plans'],
];

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

function Route({ path, params }: { path: string; params: URLSearchParams }) {
  const parts = path.split('/').filter(Boolean).map(decode);
  switch (parts[0]) {
    case undefined:
    case 'nodes':
      return parts[1] !== undefined ? (
        <NodePage identity={parts[1]} key={parts[1]} />
      ) : (
        <NodesPage initialFilter={params.get('filter') ?? ''} />
      );
    case 'run':
      return <RunPage params={params} />;
    case 'puppet':
      return <PuppetPage params={params} />;
    case 'jobs':
      return parts[1] !== undefined ? <JobPage id={parts[1]} /> : <HistoryPage page={0} />;
    case 'history':
      return <HistoryPage page={Math.max(0, Math.floor(Number(params.get('page') ?? 0)) || 0)} />;
    case 'plans':
      return parts[1] !== undefined ? <PlanPage id={parts[1]} key={parts[1]} /> : <PlansPage />;
    default:
      return <div class="error">No page at {path}</div>;
  }
}

function App() {
  const loc = useLocation();
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    setUnauthorisedHandler(() => setSession(null));
    get<Session>('/api/session').then(
      (s) => {
        setCsrfToken(s.csrfToken);
        setSession(s);
      },
      (e: unknown) => {
        setSession(null);
        if (!(e instanceof ApiError && e.status === 401)) setError(e);
      },
    );
  }, []);
  if (session === undefined) return <div class="muted">loading…</div>;
  if (session === null)
    return (
      <>
        <ErrorLine error={error} />
        <LoginPage onLogin={setSession} />
      </>
    );
  const logout = async () => {
    try {
      await post('/api/logout');
    } finally {
      setSession(null);
      navigate('/nodes');
    }
  };
  const section = '/' + (loc.path.split('/')[1] || 'nodes');
  return (
    <div class="app" onClick={onLinkClick}>
      <header>
        <b class="brand">troupe</b>
        <nav>
          {NAV.map(([href, title]) => (
            <a href={href} key={href} class={section === href || (href === '/history' && section === '/jobs') ? 'active' : ''}>
              {title}
            </a>
          ))}
        </nav>
        <span class="spacer" />
        <span class="user" data-testid="user">
          {session.user}
          {session.roles.length ? ` (${session.roles.join(', ')})` : ''}
        </span>
        <button type="button" data-testid="logout" onClick={() => void logout()}>
          Sign out
        </button>
      </header>
      <main>
        <Route path={loc.path} params={loc.params} />
      </main>
    </div>
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);
