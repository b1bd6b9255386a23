// Server-side sessions: random ids in an HttpOnly, SameSite=Strict cookie, the state here, expiring after their
// last use. Nothing about the user travels in the cookie.
import { randomBytes } from 'node:crypto';

export const SESSION_COOKIE = 'troupe_session';

export interface Session {
  id: string;
  user: string;
  /** How the user logged in. */
  via: 'password' | 'certificate';
  expires: number;
  /** The user's password hash when the session began: a changed password ends the session. */
  hash: string;
  /** The client certificate (PEM) that opened the session: its revocation ends the session. */
  certificate?: string;
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(ttlMs, 60_000));
    this.sweeper.unref();
  }

  create(user: string, via: Session['via'], hash: string, certificate?: string): Session {
    const s: Session = {
      id: randomBytes(32).toString('base64url'),
      user,
      via,
      hash,
      expires: this.now() + this.ttlMs,
      ...(certificate !== undefined ? { certificate } : {}),
    };
    this.sessions.set(s.id, s);
    return s;
  }

  /** The live session of that id, its expiry pushed back; undefined when unknown or expired. */
  get(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const s = this.sessions.get(id);
    if (!s) return undefined;
    if (s.expires <= this.now()) {
      this.sessions.delete(id);
      return undefined;
    }
    s.expires = this.now() + this.ttlMs;
    return s;
  }

  delete(id: string): void {
    this.sessions.delete(id);
  }

  /** Ends every session of a user (removed, or password changed). */
  endUser(user: string): void {
    for (const [id, s] of this.sessions) if (s.user === user) this.sessions.delete(id);
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, s] of this.sessions) if (s.expires <= now) this.sessions.delete(id);
  }

  close(): void {
    clearInterval(this.sweeper);
  }
}
