// A real `mco ca serve` for the tests, a look-alike HTTPS service an attacker runs, and raw HTTPS calls.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { MCO } from '../../helpers/mco.js';

export interface CaServiceProcess {
  child: ChildProcess;
  /** Everything it wrote to stderr (its pino log lines) so far. */
  log(): string;
  /** Resolves once the log, from offset `after` on, contains `text`. */
  waitForLog(text: string, after?: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export function startCaProcess(caDir: string, port: number, extra: string[] = []): Promise<CaServiceProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [MCO, 'ca', 'serve', '--dir', caDir, '--listen', `127.0.0.1:${port}`, '--hostnames', '127.0.0.1,localhost', ...extra],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let log = '';
    const waiters: Array<{ text: string; after: number; done: () => void }> = [];
    child.stderr.on('data', (d: Buffer) => {
      log += d.toString();
      for (const w of waiters.splice(0)) {
        if (log.indexOf(w.text, w.after) >= 0) w.done();
        else waiters.push(w);
      }
    });
    const timer = setTimeout(() => reject(new Error(`CA service did not start: ${log}`)), 20_000);
    const onExit = (code: number | null) => reject(new Error(`CA service exited (${code}): ${log}`));
    child.once('exit', onExit);
    child.stdout.on('data', (d: Buffer) => {
      if (!d.toString().includes('CA service listening')) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      resolve({
        child,
        log: () => log,
        waitForLog: (text, after = 0, timeoutMs = 15_000) =>
          new Promise<void>((done, fail) => {
            if (log.indexOf(text, after) >= 0) return done();
            const t = setTimeout(
              () => fail(new Error(`no log line with '${text}' within ${timeoutMs} ms:\n${log.slice(after)}`)),
              timeoutMs,
            );
            waiters.push({ text, after, done: () => (clearTimeout(t), done()) });
          }),
        stop: async () => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const gone = new Promise((r) => child.once('exit', r));
          child.kill('SIGTERM');
          await gone;
        },
      });
    });
  });
}

export interface HttpsAnswer {
  status: number;
  body: string;
}

/** One HTTPS call to a test service on loopback, without checking its certificate (the tests check it). */
export function httpsCall(url: string, method: 'GET' | 'PUT' = 'GET', body?: string): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method, rejectUnauthorized: false, headers: body === undefined ? {} : { 'content-type': 'text/plain' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * An attacker's CA service: TLS with the key and certificate it was given, `/certificate/ca` answered with
 * `caPem`, and every other call passed on to the real service at `upstream`.
 */
export async function startLookalike(
  tls: { key: string; cert: string },
  caPem: string,
  upstream: string,
): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer(tls, (req, res) => {
    if (req.url?.endsWith('/certificate/ca')) {
      res.writeHead(200, { 'content-type': 'text/plain' }).end(caPem);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = chunks.length ? Buffer.concat(chunks).toString() : undefined;
      httpsCall(upstream + req.url, req.method as 'GET' | 'PUT', body).then(
        (a) => res.writeHead(a.status, { 'content-type': 'text/plain' }).end(a.body),
        () => res.writeHead(502).end(),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
