// The web console's users: a YAML or JSON file of scrypt password hashes (per-user salt), roles and the
// certificate names that log a browser in by its client certificate. `mco web user add|passwd|rm` edits it.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import YAML from 'yaml';
import { WebError } from './errors.js';

export interface WebUser {
  /** `scrypt$N$r$p$<salt base64>$<hash base64>`. */
  hash: string;
  roles: string[];
  /** Common names of client certificates (signed by the troupe CA) that log in as this user. */
  certificates?: string[];
}

export interface UsersFile {
  users: Record<string, WebUser>;
}

const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 };
const NAME = /^[A-Za-z0-9_.@-]{1,64}$/;

function derive(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, keylen, { ...opts, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, SCRYPT.keylen, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** A hash a wrong password is checked against for unknown users, so both take the same time. */
let decoy: Promise<string> | undefined;

export async function verifyPassword(password: string, hash: string | undefined): Promise<boolean> {
  const stored = hash ?? (await (decoy ??= hashPassword(randomBytes(12).toString('hex'))));
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((n) => Number.isInteger(n) && n > 0) || N > 1 << 20) return false;
  const salt = Buffer.from(parts[4]!, 'base64');
  const expected = Buffer.from(parts[5]!, 'base64');
  if (expected.length < 16) return false;
  const got = await derive(password, salt, expected.length, { N, r, p });
  return timingSafeEqual(got, expected) && hash !== undefined;
}

export function checkUserName(name: string): string {
  if (!NAME.test(name)) throw new WebError('WEB_BAD_REQUEST', `user name '${name}' must be 1 to 64 letters, digits, _ . @ or -`);
  return name;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

export function parseStructured(text: string, file: string): unknown {
  try {
    return file.endsWith('.json') ? JSON.parse(text) : YAML.parse(text);
  } catch (err) {
    throw new WebError('WEB_CONFIG', `${file} cannot be parsed: ${(err as Error).message}`);
  }
}

/** Reads the users file; a missing file is an empty one. */
export function loadUsers(file: string): UsersFile {
  if (!existsSync(file)) return { users: {} };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new WebError('WEB_CONFIG', `users file ${file} cannot be read: ${(err as Error).message}`);
  }
  const raw = parseStructured(text, file) ?? {};
  if (!isObject(raw) || (raw.users !== undefined && !isObject(raw.users)))
    throw new WebError('WEB_CONFIG', `users file ${file}: expected a map 'users' of name: { hash, roles }`);
  const users: Record<string, WebUser> = {};
  for (const [name, u] of Object.entries(raw.users ?? {})) {
    if (!NAME.test(name) || !isObject(u) || typeof u.hash !== 'string' || !strings(u.roles ?? []) || !strings(u.certificates ?? []))
      throw new WebError('WEB_CONFIG', `users file ${file}: user '${name}' needs a string 'hash' and a list 'roles'`);
    users[name] = {
      hash: u.hash,
      roles: [...((u.roles as string[] | undefined) ?? [])],
      ...(u.certificates ? { certificates: [...(u.certificates as string[])] } : {}),
    };
  }
  return { users };
}

/** Writes the file whole (owner-only), through a temporary file so a reader never sees half of it. */
export function saveUsers(file: string, data: UsersFile): void {
  const text = file.endsWith('.json') ? JSON.stringify(data, null, 2) + '\n' : YAML.stringify(data);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, file);
}

/** Users as the server consults them: re-read when the file changes, so `mco web user` takes effect at once. */
export class UserDirectory {
  private cached?: { mtimeMs: string; data: UsersFile };

  constructor(readonly file: string) {}

  private data(): UsersFile {
    let mtimeMs = 'missing';
    try {
      mtimeMs = statMtime(this.file);
    } catch {
      /* missing: no users */
    }
    if (!this.cached || this.cached.mtimeMs !== mtimeMs) this.cached = { mtimeMs, data: loadUsers(this.file) };
    return this.cached.data;
  }

  get(name: string): WebUser | undefined {
    const users = this.data().users;
    return Object.hasOwn(users, name) ? users[name] : undefined;
  }

  /** The user a client certificate's common name logs in as. */
  byCertificate(cn: string): string | undefined {
    for (const [name, u] of Object.entries(this.data().users)) if (u.certificates?.includes(cn)) return name;
    return undefined;
  }

  /** The user, when the password is theirs; unknown users cost the same time as wrong passwords. */
  async authenticate(name: string, password: string): Promise<WebUser | undefined> {
    const user = this.get(name);
    const ok = await verifyPassword(password, user?.hash);
    return ok ? user : undefined;
  }
}

/** Changes whenever the file is rewritten, even twice in one millisecond (the size differs, or the inode does). */
function statMtime(file: string): string {
  const st = statSync(file);
  return `${st.mtimeMs}:${st.size}:${st.ino}`;
}
