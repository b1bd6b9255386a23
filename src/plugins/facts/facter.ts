// The `facter` fact source: runs Facter (`facter -p --json`) in the background, on an interval and on request,
// and keeps the last facts it printed. Facter takes a second or two, so nothing ever waits for it.
import { spawn } from 'node:child_process';
import { FactsError } from './errors.js';
import type { Facts } from './files.js';

/** The logger calls this source makes (pino's). */
export interface FacterLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface FacterRunOptions {
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  /** Stops a run under way (the process is killed). */
  signal?: AbortSignal;
}

export interface FacterOutput {
  facts: Facts;
  /** Facter exited non-zero yet printed its facts (it does when one fact fails to resolve): its first error line. */
  warning?: string;
  durationMs: number;
}

/** Facter's JSON is tens of kilobytes; more than this is not Facter. */
const MAX_OUTPUT = 32 << 20;
const HINT = 'check plugin.facts.facter_command: run it by hand as the daemon does';

/**
 * Runs the command once and parses its JSON. Facter runs in a process group of its own, killed whole on timeout or
 * abort, so an external fact script it started cannot keep the run alive.
 */
export function runFacter(command: readonly string[], opts: FacterRunOptions): Promise<FacterOutput> {
  const [file, ...args] = command;
  const shown = command.join(' ');
  if (file === undefined)
    return Promise.reject(new FactsError('FACTS_FACTER_MISSING', 'plugin.facts.facter_command is empty', { hint: HINT }));
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (outcome: () => FacterOutput) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', abort);
      try {
        resolve(outcome());
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    };
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: opts.env ?? process.env });
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const fail = (err: FactsError) => {
      killGroup();
      finish(() => {
        throw err;
      });
    };
    const abort = () => fail(new FactsError('FACTS_FACTER_FAILED', `${shown}: stopped`, { hint: HINT }));
    opts.signal?.addEventListener('abort', abort, { once: true });
    const timer = setTimeout(
      () => fail(new FactsError('FACTS_FACTER_TIMEOUT', `${shown}: no answer within ${opts.timeoutMs / 1000} s; killed`, { hint: HINT })),
      opts.timeoutMs,
    );
    const stdout: Buffer[] = [];
    let size = 0;
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_OUTPUT)
        fail(new FactsError('FACTS_FACTER_OUTPUT', `${shown}: printed more than ${MAX_OUTPUT >> 20} MiB`, { hint: HINT }));
      else stdout.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-8192)));
    child.on('error', (err: NodeJS.ErrnoException) =>
      fail(new FactsError('FACTS_FACTER_MISSING', `${shown}: cannot start: ${err.code ?? err.message}`, { cause: err, hint: HINT })),
    );
    child.on('close', (code, signal) =>
      finish(() => parseOutput(shown, Buffer.concat(stdout).toString('utf8'), code, signal, stderr, performance.now() - started)),
    );
  });
}

function parseOutput(
  shown: string,
  text: string,
  code: number | null,
  signal: NodeJS.Signals | null,
  stderr: string,
  durationMs: number,
): FacterOutput {
  const problem = firstErrorLine(stderr);
  const status = signal ? `was killed by ${signal}` : `exited with ${code}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    if (code !== 0 || text.trim() === '')
      throw new FactsError('FACTS_FACTER_FAILED', `${shown}: ${status}${problem ? `: ${problem}` : ', printing no facts'}`, { hint: HINT });
    throw new FactsError('FACTS_FACTER_OUTPUT', `${shown}: printed invalid JSON: ${(err as Error).message}`, { cause: err, hint: HINT });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new FactsError('FACTS_FACTER_OUTPUT', `${shown}: printed JSON that is not a mapping of facts`, { hint: HINT });
  // Facter exits 1 whenever it logged an error, even one fact out of hundreds: the facts it printed still count.
  const warning = code === 0 ? undefined : `${status}${problem ? `: ${problem}` : ''}`;
  return { facts: parsed as Facts, warning, durationMs };
}

/** The first line of Facter's complaints, without its timestamps and colours. */
function firstErrorLine(stderr: string): string | undefined {
  const plain = stderr.replace(/\u001b\[[0-9;]*m/g, '');
  const line = plain
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => l.length > 0);
  return line?.replace(/^\[[^\]]*\]\s*/, '').slice(0, 300);
}

export interface FacterSourceOptions {
  command: readonly string[];
  /** Pause after each run before the next; 0 or less: only at start() and refresh(). */
  intervalMs: number;
  timeoutMs: number;
  logger: FacterLogger;
  /** Called with each run's facts. */
  onFacts(facts: Facts): void;
  /** Facts to start from (the last good ones of a source this one replaces). */
  seed?: Facts;
  env?: NodeJS.ProcessEnv;
}

/**
 * Facter on a schedule, one run at a time. A failed run (no binary, an error exit without facts, bad JSON, a
 * timeout) keeps the last good facts; it is logged once, when Facter starts failing, and once more when it
 * works again, not at every interval.
 */
export class FacterSource {
  private facts: Facts | undefined;
  private running: Promise<void> | undefined;
  /** A refresh asked for while a run was under way: that run may have read the old state, so run once more. */
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly abort = new AbortController();
  /** Set while Facter fails, so the failure is logged once. */
  private failing = false;
  private warned = false;
  private runs = 0;

  constructor(private readonly opts: FacterSourceOptions) {
    this.facts = opts.seed;
  }

  /** The facts of the last good run (or the seed); undefined before any. */
  get current(): Facts | undefined {
    return this.facts;
  }

  /** Runs Facter now, in the background, then every interval. */
  start(): void {
    this.refresh();
  }

  /** Runs Facter now, or once more after the run under way. */
  refresh(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.running = this.runOnce().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.refresh();
      } else this.schedule();
    });
  }

  /** Resolves when no run is under way or asked for. */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Stops the schedule and kills a run under way. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.abort.abort();
  }

  private schedule(): void {
    if (this.stopped || this.opts.intervalMs <= 0) return;
    this.timer = setTimeout(() => this.refresh(), this.opts.intervalMs);
    // The schedule alone must not keep a process alive.
    this.timer.unref();
  }

  private async runOnce(): Promise<void> {
    const { logger, command } = this.opts;
    let output: FacterOutput;
    try {
      output = await runFacter(command, { timeoutMs: this.opts.timeoutMs, env: this.opts.env, signal: this.abort.signal });
    } catch (err) {
      if (this.stopped) return;
      const message = (err as Error).message;
      const kept = this.facts === undefined ? 'no Facter facts yet' : 'keeping the last facts it gave';
      if (!this.failing) logger.error({ err: message, code: (err as FactsError).code }, `facter failed; ${kept}`);
      else logger.debug({ err: message }, 'facter still failing');
      this.failing = true;
      return;
    }
    if (this.stopped) return;
    this.runs++;
    if (this.failing) logger.info({ command: command.join(' ') }, 'facter works again');
    this.failing = false;
    if (output.warning !== undefined && !this.warned) {
      this.warned = true;
      logger.warn({ command: command.join(' '), problem: output.warning }, 'facter reported errors; using the facts it printed');
    }
    const level = this.runs === 1 ? 'info' : 'debug';
    logger[level]({ facts: Object.keys(output.facts).length, ms: Math.round(output.durationMs) }, 'facter facts read');
    this.facts = output.facts;
    try {
      this.opts.onFacts(output.facts);
    } catch (err) {
      // A listener's failure must not become an unhandled rejection of the schedule.
      logger.error({ err: (err as Error).message }, 'new Facter facts could not be applied');
    }
  }
}
