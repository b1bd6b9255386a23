// Sign in: a pre-login CSRF token, then user and password; the session cookie is the server's.
import { useState } from 'preact/hooks';
import { get, post, setCsrfToken, type Session } from '../api.js';
import { ErrorLine } from '../components.js';

export function LoginPage({ onLogin }: { onLogin: (s: Session) => void }) {
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { token } = await get<{ token: string }>('/api/csrf');
      setCsrfToken(token);
      const r = await post<{ user: string; roles: string[]; csrfToken: string }>('/api/login', { user, password });
      setCsrfToken(r.csrfToken);
      const session = await get<Session>('/api/session');
      setCsrfToken(session.csrfToken);
      onLogin(session);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="login" data-testid="login" onSubmit={(e) => void submit(e)}>
      <h1>troupe</h1>
      <label>
        User <input name="user" autocomplete="username" value={user} onInput={(e) => setUser(e.currentTarget.value)} />
      </label>
      <label>
        Password{' '}
        <input
          name="password"
          type="password"
          autocomplete="current-password"
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
      </label>
      <button type="submit" class="primary" disabled={busy}>
        Sign in
      </button>
      <ErrorLine error={error} />
    </form>
  );
}
