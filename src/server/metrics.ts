// The daemon's Prometheus metrics (prom-client) and the small HTTP server that offers them at /metrics.
// The counters `mco rpc rpcutil daemon_stats` reports (ServerStats) are read at each scrape, so the two never
// disagree; what daemon_stats does not keep (requests by agent, action and outcome, action latency, the broker
// connection, registry publishes) is observed here. Opt-in (`metrics_port`), and on loopback unless allowed.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { TroupeError, type ErrorCodeTable } from '../errors.js';
import type { ConnectorEvent } from '../transport/index.js';
import type { StatsSnapshot } from './stats.js';
import type { RequestObserver, RequestOutcome } from './dispatcher.js';

export const METRICS_ERROR_CODES = {
  metrics_listen: 'the metrics port could not be opened (in use, or the address is not one of this host)',
} as const satisfies ErrorCodeTable;

export class MetricsError extends TroupeError {
  override readonly name = 'MetricsError';
  declare readonly code: keyof typeof METRICS_ERROR_CODES;
  constructor(message: string, cause?: unknown) {
    super('metrics_listen', message, { cause, hint: 'choose another metrics_port, or set metrics_port = 0 to turn metrics off' });
  }
}

/** What a node daemon tells its metrics: the dispatcher, registration and connector each report their part. */
export interface DaemonObserver extends RequestObserver {
  registryPublish(ok: boolean): void;
  connectorEvent(event: ConnectorEvent): void;
  /** Where the counters daemon_stats reports are read at each scrape (the node's ServerStats). */
  countersFrom(stats: () => StatsSnapshot): void;
  /** Serves the metrics; resolves once listening. */
  listen(): Promise<void>;
  /** Where they are served, once listening. */
  readonly address: { host: string; port: number };
  close(): Promise<void>;
}

/** True for an address only this host can reach: 127.0.0.0/8, ::1, localhost. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '::ffff:127.0.0.1';
}

/** Seconds: most actions answer in well under a millisecond; Puppet runs take minutes. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300];

export interface DaemonMetricsOptions {
  identity: string;
  /** Where GET /metrics is served (`metrics_bind`, `metrics_port`). */
  listen: MetricsServerOptions;
  /** Node.js process metrics (memory, CPU, event-loop lag) besides troupe's; on by default. */
  processMetrics?: boolean;
}

const NO_COUNTERS: StatsSnapshot = {
  starttime: 0,
  uptime: 0,
  total: 0,
  validated: 0,
  unvalidated: 0,
  filtered: 0,
  passed: 0,
  replies: 0,
  ttlexpired: 0,
  rejected: {},
};

export class DaemonMetrics implements DaemonObserver {
  readonly registry = new Registry();
  private readonly requests: Counter<'agent' | 'action' | 'outcome'>;
  private readonly latency: Histogram<'agent' | 'action'>;
  private readonly connected: Gauge;
  private readonly reconnects: Counter;
  private readonly disconnects: Counter;
  private readonly droppedWhileDown: Counter;
  private readonly lameDuckMoves: Counter;
  private readonly publishes: Counter<'outcome'>;
  private counters: () => StatsSnapshot = () => NO_COUNTERS;
  private readonly server: MetricsServer;

  constructor(opts: DaemonMetricsOptions) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ identity: opts.identity });
    if (opts.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
    this.server = new MetricsServer(this, opts.listen);
    const stats = () => this.counters();

    // daemon_stats' counters, one family: the values of its snapshot at scrape time.
    new Counter({
      name: 'troupe_messages_total',
      help: 'Messages the daemon received, by stage, as `rpcutil daemon_stats` counts them (total, validated, unvalidated, filtered, passed, replies, ttlexpired)',
      labelNames: ['stage'],
      registers,
      collect() {
        const s = stats();
        this.reset();
        for (const stage of ['total', 'validated', 'unvalidated', 'filtered', 'passed', 'replies', 'ttlexpired'] as const)
          this.inc({ stage }, s[stage]);
      },
    });
    new Counter({
      name: 'troupe_rejections_total',
      help: 'Requests refused, by reason (the reasons `rpcutil daemon_stats` lists under rejected)',
      labelNames: ['reason'],
      registers,
      collect() {
        this.reset();
        for (const [reason, count] of Object.entries(stats().rejected)) this.inc({ reason }, count);
      },
    });
    new Gauge({
      name: 'troupe_daemon_start_time_seconds',
      help: 'When the daemon (re)started its node, in seconds since the epoch',
      registers,
      collect() {
        this.set(stats().starttime);
      },
    });
    this.requests = new Counter({
      name: 'troupe_requests_total',
      help: 'Requests handled by an agent, by agent, action and outcome (ok, aborted, unknown_action, missing_data, invalid_data, error, denied, rejected)',
      labelNames: ['agent', 'action', 'outcome'],
      registers,
    });
    this.latency = new Histogram({
      name: 'troupe_action_duration_seconds',
      help: 'Time from a request passing the filter to its reply being ready, by agent and action',
      labelNames: ['agent', 'action'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.connected = new Gauge({
      name: 'troupe_broker_connected',
      help: '1 while the daemon is connected to the broker, else 0',
      registers,
    });
    this.reconnects = new Counter({
      name: 'troupe_broker_reconnects_total',
      help: 'Reconnections to the broker after a lost connection',
      registers,
    });
    this.disconnects = new Counter({ name: 'troupe_broker_disconnects_total', help: 'Connections to the broker lost', registers });
    this.droppedWhileDown = new Counter({
      name: 'troupe_broker_dropped_while_disconnected_total',
      help: 'Messages published while disconnected from the broker and dropped, beyond plugin.nats.reconnect_buffer',
      registers,
    });
    this.lameDuckMoves = new Counter({
      name: 'troupe_broker_lame_duck_moves_total',
      help: 'Moves to another broker of the cluster after the connected one announced lame-duck mode',
      registers,
    });
    this.publishes = new Counter({
      name: 'troupe_registry_publishes_total',
      help: 'Registration records published to the registry, by outcome (ok, failed)',
      labelNames: ['outcome'],
      registers,
    });
    this.publishes.inc({ outcome: 'ok' }, 0);
    this.publishes.inc({ outcome: 'failed' }, 0);
  }

  countersFrom(stats: () => StatsSnapshot): void {
    this.counters = stats;
  }

  listen(): Promise<void> {
    return this.server.listen();
  }

  close(): Promise<void> {
    return this.server.close();
  }

  /** Where the metrics are served (the port the system chose when asked for 0). */
  get address(): { host: string; port: number } {
    return this.server.address;
  }

  request(agent: string, action: string, outcome: RequestOutcome, seconds: number): void {
    this.requests.inc({ agent, action, outcome });
    this.latency.observe({ agent, action }, seconds);
  }

  registryPublish(ok: boolean): void {
    this.publishes.inc({ outcome: ok ? 'ok' : 'failed' });
  }

  connectorEvent(event: ConnectorEvent): void {
    if (event.type === 'connected' || event.type === 'reconnected') this.connected.set(1);
    if (event.type === 'reconnected') this.reconnects.inc();
    if (event.type === 'disconnected') {
      this.connected.set(0);
      this.disconnects.inc();
    }
    if (event.type === 'dropped') this.droppedWhileDown.inc();
    if (event.type === 'moved') this.lameDuckMoves.inc();
  }

  /** The text a scrape receives. */
  async text(): Promise<string> {
    return this.registry.metrics();
  }
}

export interface MetricsServerOptions {
  port: number;
  host: string;
}

/** GET /metrics over plain HTTP; anything else is 404 or 405. One per daemon process. */
export class MetricsServer {
  private server?: Server;

  constructor(
    private readonly metrics: DaemonMetrics,
    private readonly opts: MetricsServerOptions,
  ) {}

  /** Resolves once listening; rejects with MetricsError when the port cannot be opened. */
  async listen(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    // A scraper that opens a connection and sends nothing must not hold it forever.
    server.requestTimeout = 10_000;
    server.headersTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new MetricsError(`cannot serve metrics on ${this.where}: ${err.message}`, err)));
      server.listen(this.opts.port, this.opts.host, () => resolve());
    });
    this.server = server;
  }

  /** Where it listens: host:port, the port the system chose when asked for 0. */
  get address(): { host: string; port: number } {
    const a = this.server?.address();
    return a && typeof a === 'object' ? { host: a.address, port: a.port } : { host: this.opts.host, port: this.opts.port };
  }

  private get where(): string {
    return `${this.opts.host.includes(':') ? `[${this.opts.host}]` : this.opts.host}:${this.opts.port}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') return end(res, 404, 'not found: metrics are at /metrics\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return end(res, 405, 'method not allowed\n');
    }
    try {
      const body = await this.metrics.text();
      res.writeHead(200, { 'Content-Type': this.metrics.registry.contentType });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (err) {
      end(res, 500, `metrics failed: ${(err as Error).message}\n`);
    }
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function end(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text);
}
