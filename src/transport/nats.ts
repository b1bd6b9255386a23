import {
  connect,
  createInbox,
  DebugEvents,
  Events,
  type JetStreamManager,
  type NatsConnection,
  type ConnectionOptions,
  type Status,
  type Subscription as NatsSub,
} from 'nats';
import { maskUrlCredentials } from '../config/secrets.js';
import { findBrokers } from '../config/srv.js';
import { broadcastSubject, inboxPrefixFor, nodeSubject, replySubject } from '../protocol/index.js';
import {
  backoffDelay,
  TransportError,
  type Connector,
  type ConnectorEvent,
  type Destination,
  type MessageHandler,
  type ReplyInbox,
  type Subscription,
} from './connector.js';
import type { JetStreamHandle } from './jetstream.js';
import { certnameOf, tlsFiles, type ConnectorPlugin } from './from-config.js';
import { brokerIdentityCheck } from './tls-identity.js';

export interface NatsConnectorOptions {
  /** Broker URLs; with `discover`, none are needed. */
  servers: string[];
  /**
   * Finds the brokers (DNS SRV), in the order to try them: asked before the first connection (a daemon asks until
   * it gets an answer) and again whenever every broker has failed while reconnecting. The order is kept, never
   * randomised, since it carries the records' priorities.
   */
  discover?: () => Promise<{ name: string; servers: string[] }>;
  /** Shown in the broker's connection list. */
  name?: string;
  /** Keep retrying the first connection (daemons) instead of failing after connectTimeoutMs (clients). */
  waitForBroker?: boolean;
  connectTimeoutMs?: number;
  maxReconnectWaitMs?: number;
  tls?: { ca?: string; cert?: string; key?: string; serverName?: string };
  /** Prefix of this connection's inboxes (JetStream replies): `_INBOX.<token>` when the broker scopes them per identity. */
  inboxPrefix?: string;
}

/** What a status event carries, as text: a server address or error code as it is, a servers-changed record as JSON. */
const statusData = (s: Status): string => (typeof s.data === 'object' ? JSON.stringify(s.data) : String(s.data));

/** A broker error in words; a permissions violation names what was refused (broker/permissions.ts decides it). */
function statusError(s: Status): Error {
  const refused = s.permissionContext;
  if (!refused) return new Error(statusData(s));
  const what = refused.operation === 'publish' ? 'publish to' : 'subscribe to';
  return new TransportError(
    'not_permitted',
    `the broker does not let this certificate ${what} ${refused.subject} (its user and permissions come from \`mco broker config\`)`,
  );
}

/** One NATS subject: no blanks or control characters, no empty tokens. */
const REPLY_SUBJECT = /^[^\s\u0000-\u001f\u007f.]+(\.[^\s\u0000-\u001f\u007f.]+)*$/;

function subjectOf(dest: Destination): string {
  return dest.kind === 'broadcast' ? broadcastSubject(dest.collective, dest.agent) : nodeSubject(dest.collective, dest.identity);
}

export class NatsConnector implements Connector {
  readonly kind = 'nats';
  private nc?: NatsConnection;
  private manager?: { nc: NatsConnection; jsm: Promise<JetStreamManager> };
  private readonly listeners: Array<(e: ConnectorEvent) => void> = [];
  private attempt = 0;
  /** The servers in use: configured, or found by `discover`. */
  private servers: string[];
  /** Dial attempts since the connection was lost; every server failing twice asks `discover` again. */
  private dialsSinceLoss = 0;
  private rediscovering = false;

  constructor(private readonly opts: NatsConnectorOptions) {
    this.servers = opts.servers;
    if (opts.servers.length === 0 && !opts.discover) throw new TransportError('bad_address', 'no NATS servers configured');
  }

  onEvent(listener: (event: ConnectorEvent) => void): void {
    this.listeners.push(listener);
  }

  private emit(event: ConnectorEvent): void {
    for (const l of this.listeners) l(event);
  }

  /** The servers `discover` finds; a daemon (waitForBroker) asks again with back-off until there are some. */
  private async discoverServers(discover: NonNullable<NatsConnectorOptions['discover']>): Promise<void> {
    const maxWait = this.opts.maxReconnectWaitMs ?? 5000;
    for (let attempt = 0; ; attempt++) {
      try {
        const found = await discover();
        this.servers = found.servers;
        this.emit({ type: 'servers', name: found.name, servers: found.servers });
        return;
      } catch (err) {
        if (!this.opts.waitForBroker) throw err;
        const delayMs = backoffDelay(attempt, maxWait);
        this.emit({ type: 'discovery_failed', error: err as Error, delayMs });
        await new Promise((r) => setTimeout(r, delayMs));
      }
    }
  }

  async connect(): Promise<void> {
    const discover = this.opts.discover;
    if (!discover) this.nc = await this.dial(this.opts.waitForBroker ?? false);
    else {
      // Each round asks DNS afresh and tries every server found once, so a daemon follows records that change.
      for (let attempt = 0; !this.nc; attempt++) {
        await this.discoverServers(discover);
        try {
          this.nc = await this.dial(false);
        } catch (err) {
          if (!this.opts.waitForBroker) throw err;
          const delayMs = backoffDelay(attempt, this.opts.maxReconnectWaitMs ?? 5000);
          this.emit({ type: 'reconnecting', attempt: attempt + 1, delayMs });
          await new Promise((r) => setTimeout(r, delayMs));
        }
      }
    }
    this.emit({ type: 'connected', server: this.nc.getServer() });
    void this.watchStatus(this.nc);
  }

  private async dial(waitOnFirstConnect: boolean): Promise<NatsConnection> {
    const maxWait = this.opts.maxReconnectWaitMs ?? 5000;
    const options: ConnectionOptions = {
      servers: this.servers.map(hostPort),
      // Found servers come in priority order, which must hold; configured ones are shuffled as nats.js does.
      noRandomize: this.opts.discover !== undefined,
      name: this.opts.name,
      maxReconnectAttempts: -1,
      waitOnFirstConnect,
      timeout: this.opts.connectTimeoutMs ?? 5000,
      reconnectDelayHandler: () => {
        const delayMs = backoffDelay(this.attempt++, maxWait);
        this.emit({ type: 'reconnecting', attempt: this.attempt, delayMs });
        return delayMs;
      },
      pingInterval: 30_000,
      maxPingOut: 3,
      ...(this.opts.inboxPrefix ? { inboxPrefix: this.opts.inboxPrefix } : {}),
    };
    if (this.opts.tls) {
      const { ca, cert, key, serverName } = this.opts.tls;
      // nats.js hands these to tls.connect: the broker's certificate must chain to `ca` and name the URL's host,
      // or `servername` when given (see tls-identity.ts for why the name check is ours).
      options.tls = {
        caFile: ca,
        certFile: cert,
        keyFile: key,
        ...(serverName ? { servername: serverName } : {}),
        checkServerIdentity: brokerIdentityCheck(serverName),
      } as ConnectionOptions['tls'];
    }
    try {
      return await connect(options);
    } catch (err) {
      throw new TransportError(
        'connect_failed',
        `cannot connect to NATS at ${maskUrlCredentials(this.servers.join(', '))}: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  private async watchStatus(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === Events.Disconnect) {
        this.dialsSinceLoss = 0;
        this.emit({ type: 'disconnected', server: statusData(s) });
      } else if (s.type === DebugEvents.Reconnecting) {
        if (++this.dialsSinceLoss >= 2 * Math.max(1, this.servers.length)) void this.rediscover(nc);
      } else if (s.type === Events.Reconnect) {
        this.attempt = 0;
        this.dialsSinceLoss = 0;
        this.emit({ type: 'reconnected', server: statusData(s) });
      } else if (s.type === Events.Error) this.emit({ type: 'error', error: statusError(s) });
    }
  }

  /**
   * Every server failed while reconnecting: ask `discover` again (the SRV records may have changed) and, when the
   * answer differs, hand nats.js the new list to dial next, first priority first.
   */
  private async rediscover(nc: NatsConnection): Promise<void> {
    const discover = this.opts.discover;
    if (!discover || this.rediscovering || nc.isClosed()) return;
    this.rediscovering = true;
    this.dialsSinceLoss = 0;
    try {
      const found = await discover();
      if (found.servers.join(',') === this.servers.join(',') || nc.isClosed()) return;
      if (!replaceServerList(nc, found.servers.map(hostPort))) return;
      this.servers = found.servers;
      this.emit({ type: 'servers', name: found.name, servers: found.servers });
    } catch (err) {
      // The list in use stays; the next round of failures asks again.
      this.emit({ type: 'discovery_failed', error: err as Error, delayMs: 0 });
    } finally {
      this.rediscovering = false;
    }
  }

  private conn(): NatsConnection {
    if (!this.nc || this.nc.isClosed()) throw new TransportError('closed', 'not connected to NATS');
    return this.nc;
  }

  jetStream(): JetStreamHandle {
    return {
      client: () => this.conn().jetstream(),
      manager: () => {
        const nc = this.conn();
        // A failed attempt is not kept: the next caller asks again (JetStream may be enabled by then).
        if (this.manager?.nc !== nc) this.manager = { nc, jsm: nc.jetstreamManager() };
        const mine = this.manager;
        mine.jsm.catch(() => this.manager === mine && (this.manager = undefined));
        return mine.jsm;
      },
      request: (subject, data, opts) => this.conn().request(subject, data, opts),
      connection: () => this.conn(),
      newInbox: () => createInbox(this.opts.inboxPrefix),
    };
  }

  private listen(subject: string, handler: MessageHandler): NatsSub {
    return this.conn().subscribe(subject, {
      callback: (err, msg) => {
        if (!err) handler(msg.reply ? { data: msg.data, replyTo: msg.reply } : { data: msg.data });
      },
    });
  }

  async subscribe(dest: Destination, handler: MessageHandler): Promise<Subscription> {
    const sub = this.listen(subjectOf(dest), handler);
    return { unsubscribe: async () => sub.unsubscribe() };
  }

  async openInbox(collective: string, sender: string, requestId: string, handler: MessageHandler): Promise<ReplyInbox> {
    const address = replySubject(collective, sender, requestId);
    const sub = this.listen(address, handler);
    // The subscription must be known to the broker before any request goes out, or early replies are lost.
    await this.conn().flush();
    return { address, close: async () => sub.unsubscribe() };
  }

  async publish(dest: Destination, data: Uint8Array, replyTo?: string): Promise<void> {
    // The reply subject travels in the message's own header line, where a node finds it without decoding.
    if (replyTo !== undefined && !REPLY_SUBJECT.test(replyTo))
      throw new TransportError('bad_address', `not a usable reply subject: ${JSON.stringify(replyTo.slice(0, 80))}`);
    this.conn().publish(subjectOf(dest), data, replyTo === undefined ? undefined : { reply: replyTo });
  }

  async reply(address: string, data: Uint8Array): Promise<void> {
    // nats.js writes the subject verbatim into the protocol line: a blank or line break in an address taken
    // from a request would split the command and could inject others into this connection.
    if (!REPLY_SUBJECT.test(address))
      throw new TransportError('bad_address', `not a usable reply subject: ${JSON.stringify(address.slice(0, 80))}`);
    this.conn().publish(address, data);
  }

  async flush(): Promise<void> {
    await this.conn().flush();
  }

  /** Drains (delivering what is in flight); a broker that is gone cannot be drained, so give up after drainTimeoutMs. */
  async close(drainTimeoutMs = 5000): Promise<void> {
    const nc = this.nc;
    if (!nc || nc.isClosed()) return;
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), drainTimeoutMs)));
    try {
      const outcome = await Promise.race([nc.drain().then(() => 'drained' as const), gaveUp]);
      if (outcome === 'timeout') await nc.close();
    } catch {
      await nc.close();
    } finally {
      clearTimeout(timer);
    }
  }
}

const hostPort = (url: string): string => url.replace(/^nats:\/\//, '');

/** nats.js's own server list, which it dials from while reconnecting (not part of its typed API). */
interface DialList {
  servers: unknown[];
  addServer(hostPort: string, implicit?: boolean): void;
}

/**
 * Puts `servers` in place of the list nats.js reconnects from, in this order. nats.js offers no call for it, so this
 * reaches its server list; false when that is not there as expected (another nats.js), and the old list stays.
 */
function replaceServerList(nc: NatsConnection, servers: string[]): boolean {
  const list = (nc as unknown as { protocol?: { servers?: Partial<DialList> } }).protocol?.servers;
  if (!list || !Array.isArray(list.servers) || typeof list.addServer !== 'function') return false;
  list.servers.length = 0;
  for (const s of servers) list.addServer(s, false);
  return true;
}

/** `connector = nats`; any of tls_ca, tls_cert or tls_key turns TLS on. */
export const natsConnector: ConnectorPlugin = {
  name: 'nats',
  create(config, role) {
    const files = tlsFiles(config, role.identity);
    const certname = files.cert ? certnameOf(files.cert) : undefined;
    // Configured brokers win over DNS (as in Choria): use_srv looks them up only when middleware_hosts is not set.
    const bySrv = config.get('use_srv') && !config.isSet('middleware_hosts');
    return new NatsConnector({
      servers: bySrv ? [] : config.get('middleware_hosts'),
      discover: bySrv ? () => findBrokers(config, { factDomain: role.factDomain }) : undefined,
      name: role.name,
      waitForBroker: role.waitForBroker,
      connectTimeoutMs: config.get('plugin.nats.connect_timeout') * 1000,
      maxReconnectWaitMs: config.get('plugin.nats.max_reconnect_wait') * 1000,
      tls: files.ca || files.cert || files.key ? files : undefined,
      // The broker lets a certificate subscribe only to its own inboxes (broker/permissions.ts).
      inboxPrefix: certname ? inboxPrefixFor(certname) : undefined,
    });
  },
};
