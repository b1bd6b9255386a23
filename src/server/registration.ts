// Registration: a node keeps its record in the registry current. It publishes on start (after a random splay,
// so a restarted fleet does not stampede), at once when its facts or classes change, after a reconnect (splayed
// again: the broker may have come back without its store), and every interval so the record never ages out.
import type { Logger } from 'pino';
import { REGISTRATION_PROTOCOL, type RegistrationRecord } from '../protocol/index.js';
import type { NodeView } from '../filter/index.js';

/** Where registration records go. The broker's key-value store, in practice; the node never knows which. */
export interface Registrar {
  /**
   * Stores `record` under its identity; resolves once the registry holds it. Rejects with an error whose `code`
   * is `registry_unavailable` when the broker offers no registry at all (NATS without JetStream): a setup that
   * is allowed, so it is logged quietly, unlike other failures.
   */
  store(record: RegistrationRecord): Promise<void>;
}

export const REGISTRY_UNAVAILABLE = 'registry_unavailable';

export interface RegistrationSettings {
  registrar: Registrar;
  /** Milliseconds between publications; the record must be refreshed well within the registry's max age. */
  intervalMs: number;
  /** Longest random delay before the first publication and the one after a reconnect. */
  splayMs: number;
  /** Told how each publication went (the daemon's metrics). */
  onPublish?: (ok: boolean) => void;
}

export interface RegisteredNode {
  identity: string;
  collectives: readonly string[];
  mainCollective: string;
  version: string;
}

export function buildRegistrationRecord(node: RegisteredNode, view: NodeView, now = Date.now()): RegistrationRecord {
  return {
    protocol: REGISTRATION_PROTOCOL,
    identity: node.identity,
    collectives: [...node.collectives],
    main_collective: node.mainCollective,
    facts: view.facts,
    classes: [...view.classes],
    agents: [...view.agents].sort(),
    version: node.version,
    last_seen: Math.floor(now / 1000),
  };
}

/** First retry after a failed publication; doubling up to the interval. */
const FIRST_RETRY_MS = 2000;

/**
 * Schedules one node's publications; never more than one in flight, and a request made meanwhile is not lost.
 * A failed publication is retried soon (a broker restarting, a JetStream cluster electing a leader), backing off
 * to the interval; a broker without JetStream is asked again only at the interval.
 */
export class Registration {
  private splayTimer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private failures = 0;
  private intervalTimer?: NodeJS.Timeout;
  private inFlight?: Promise<void>;
  private again = false;
  /** Publishing starts with start() (the node is on the broker by then) and ends with stop(). */
  private active = false;

  constructor(
    private readonly settings: RegistrationSettings,
    private readonly record: () => RegistrationRecord,
    private readonly logger: Logger,
    private readonly random: () => number = Math.random,
  ) {}

  /** First publication after the splay; then one per interval. */
  start(): void {
    this.active = true;
    this.afterSplay();
    this.intervalTimer = setInterval(() => this.publish(), this.settings.intervalMs);
    this.intervalTimer.unref();
  }

  /** Facts or classes changed: the registry hears it now, not at the next interval. */
  changed(): void {
    this.publish();
  }

  /** The broker came back, perhaps without its store: register again, splayed like a start. */
  reconnected(): void {
    this.afterSplay();
  }

  private afterSplay(): void {
    if (!this.active) return;
    clearTimeout(this.splayTimer);
    const delay = Math.floor(this.random() * this.settings.splayMs);
    if (delay <= 0) return this.publish();
    this.splayTimer = setTimeout(() => this.publish(), delay);
    this.splayTimer.unref();
  }

  /** Resolves when the publications asked for so far are done (succeeded or failed). */
  async settled(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  private publish(): void {
    if (!this.active) return;
    if (this.inFlight) {
      this.again = true;
      return;
    }
    this.inFlight = this.settings.registrar
      .store(this.record())
      .then(
        () => {
          this.settings.onPublish?.(true);
          if (this.failures > 0) this.logger.info('registration succeeded again');
          this.failures = 0;
        },
        (err: Error & { code?: string }) => {
          this.settings.onPublish?.(false);
          const unavailable = err.code === REGISTRY_UNAVAILABLE;
          const retryMs = unavailable ? this.settings.intervalMs : this.retryDelay();
          // One line when registration starts failing, not one per attempt.
          if (this.failures === 0)
            this.logger[unavailable ? 'info' : 'warn']({ err: err.message, retry_in_s: Math.round(retryMs / 1000) }, 'registration failed');
          this.failures++;
          if (!unavailable) this.retryIn(retryMs);
        },
      )
      .finally(() => {
        this.inFlight = undefined;
        if (this.again) {
          this.again = false;
          this.publish();
        }
      });
  }

  private retryDelay(): number {
    const backoff = Math.min(this.settings.intervalMs, FIRST_RETRY_MS * 2 ** Math.min(this.failures, 16));
    return Math.round(backoff * (0.5 + this.random() * 0.5));
  }

  private retryIn(ms: number): void {
    if (!this.active || ms >= this.settings.intervalMs) return; // the interval comes first anyway
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.publish(), ms);
    this.retryTimer.unref();
  }

  stop(): void {
    this.active = false;
    clearTimeout(this.retryTimer);
    clearTimeout(this.splayTimer);
    clearInterval(this.intervalTimer);
  }
}
