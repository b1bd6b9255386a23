// A small HTTP client for the web console's API over real sockets: a cookie jar, the CSRF header, SSE reading.
export interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

export class WebClient {
  private readonly cookies = new Map<string, string>();
  csrf?: string;

  constructor(readonly base: string) {}

  private remember(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async raw(
    method: string,
    path: string,
    init: { body?: string; headers?: Record<string, string>; csrf?: boolean } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers };
    if (this.cookies.size) headers.cookie = this.cookieHeader();
    if (init.csrf !== false && this.csrf && method !== 'GET') headers['x-csrf-token'] ??= this.csrf;
    const res = await fetch(this.base + path, { method, headers, body: init.body });
    this.remember(res);
    return res;
  }

  async call<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    opts: { csrf?: boolean; headers?: Record<string, string> } = {},
  ): Promise<Answer<T>> {
    const res = await this.raw(method, path, {
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers },
      csrf: opts.csrf,
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  get<T = Record<string, unknown>>(path: string): Promise<Answer<T>> {
    return this.call<T>('GET', path);
  }

  post<T = Record<string, unknown>>(path: string, body: unknown = {}): Promise<Answer<T>> {
    return this.call<T>('POST', path, body);
  }

  async login(user: string, password: string): Promise<Answer> {
    const t = await this.get<{ token: string }>('/api/csrf');
    this.csrf = t.body.token;
    const a = await this.post('/api/login', { user, password });
    if (a.status === 200) this.csrf = a.body.csrfToken as string;
    return a;
  }

  /** Reads an SSE stream to its end (or `until`), calling `onEvent` for each event. */
  async events(path: string, onEvent: (event: string, data: unknown) => boolean | void): Promise<void> {
    const controller = new AbortController();
    const res = await fetch(this.base + path, { headers: { cookie: this.cookieHeader() }, signal: controller.signal });
    if (res.status !== 200 || !res.body) throw new Error(`events: ${res.status} ${await res.text()}`);
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data += line.slice(6);
          }
          if (!data) continue;
          if (onEvent(event, JSON.parse(data)) === true) {
            controller.abort();
            return;
          }
        }
      }
    } catch (err) {
      if ((err as Error).name !== 'AbortError') throw err;
    }
  }
}
