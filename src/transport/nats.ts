import {
  connect,
  createInbox,
  Events,
  type JetStreamManager,
  type NatsConnection,
  type ConnectionOptions,
  type Status,
  type Subscription as NatsSub,
} from 'nats';
import { maskUrlCredentials } from '../config/secrets.js';
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
  servers: string[];
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

  constructor(private readonly opts: NatsConnectorOptions) {
    if (opts.servers.length === 0) throw new TransportError('bad_address', 'no NATS servers configured');
  }

  onEvent(listener: (event: ConnectorEvent) => void): void {
    this.listeners.push(listener);
  }

  private emit(event: ConnectorEvent): void {
    for (const l of this.listeners) l(event);
  }

  async connect(): Promise<void> {
    const maxWait = this.opts.maxReconnectWaitMs ?? 5000;
    const options: ConnectionOptions = {
      servers: this.opts.servers.map((s) => s.replace(/^nats:\/\//, '')),
      name: this.opts.name,
      maxReconnectAttempts: -1,
      waitOnFirstConnect: this.opts.waitForBroker ?? false,
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
      this.nc = await connect(options);
    } catch (err) {
      throw new TransportError(
        'connect_failed',
        `cannot connect to NATS at ${maskUrlCredentials(this.opts.servers.join(', '))}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    this.emit({ type: 'connected', server: this.nc.getServer() });
    void this.watchStatus(this.nc);
  }

  private async watchStatus(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === Events.Disconnect) this.emit({ type: 'disconnected', server: statusData(s) });
      else if (s.type === Events.Reconnect) {
        this.attempt = 0;
        this.emit({ type: 'reconnected', server: statusData(s) });
      } else if (s.type === Events.Error) this.emit({ type: 'error', error: statusError(s) });
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

/** `connector = nats`; any of tls_ca, tls_cert or tls_key turns TLS on. */
export const natsConnector: ConnectorPlugin = {
  name: 'nats',
  create(config, role) {
    const files = tlsFiles(config, role.identity);
    const certname = files.cert ? certnameOf(files.cert) : undefined;
    return new NatsConnector({
      servers: config.get('middleware_hosts'),
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
