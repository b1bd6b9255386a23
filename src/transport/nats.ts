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
import { createHash } from 'node:crypto';
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
  /** Bytes of outgoing messages held while disconnected (default 8192); the rest are dropped and counted. */
  reconnectBufferBytes?: number;
  /** Longest random wait before leaving a broker in lame-duck mode (default 5000 ms). */
  lameDuckSpreadMs?: number;
  /** How long both connections stay subscribed when moving off a lame-duck broker (default 1000 ms). */
  lameDuckOverlapMs?: number;
}

/** A subscription that outlives its connection: moved to the next one when leaving a lame-duck broker. */
interface LiveSub {
  subject: string;
  handler: MessageHandler;
  sub: NatsSub;
  /** The subscription on the connection being left, while both are open. */
  old?: NatsSub;
}

/** A message published while disconnected, sent once the connection is back. */
interface Held {
  subject: string;
  data: Uint8Array;
  reply?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** How long after a move the twin of a message the old connection delivered is still recognised. */
const LATE_TWIN_MS = 10_000;

/** Non-negative finite milliseconds or bytes, or a clear error naming the option. */
function checked(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) throw new TransportError('bad_option', `${name} must be a number of at least 0, not ${value}`);
  return value;
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
  private readonly live = new Set<LiveSub>();
  /** True from a Disconnect until the Reconnect after it. */
  private down = false;
  private readonly held: Held[] = [];
  private heldBytes = 0;
  private dropped = { messages: 0, bytes: 0 };
  private readonly bufferBytes: number;
  private readonly spreadMs: number;
  private readonly overlapMs: number;
  private moving = false;
  private closing = false;
  /**
   * While two connections are (or were just) subscribed, moving off a lame-duck broker: the messages each delivered,
   * by content. Once the old one has stopped listening, only twins of what it delivered can still come: the new
   * connection's messages are then looked up, not recorded.
   */
  private seen?: { copies: Map<string, NatsConnection>; recording: boolean };
  /** A broker's lame-duck notice that came while moving off another, handled once that move is done. */
  private pendingLameDuck?: { nc: NatsConnection; server: string };
  /**
   * While moving: the reply subject of each request the old connection delivered, for its reply to leave by that same
   * broker. The requester's interest reached that broker before the request did; the new broker may not know it yet.
   */
  private replyVia?: Map<string, NatsConnection>;

  constructor(private readonly opts: NatsConnectorOptions) {
    this.servers = opts.servers;
    if (opts.servers.length === 0 && !opts.discover) throw new TransportError('bad_address', 'no NATS servers configured');
    this.bufferBytes = checked('reconnect buffer', opts.reconnectBufferBytes, 8192);
    this.spreadMs = checked('lame-duck spread', opts.lameDuckSpreadMs, 5000);
    this.overlapMs = checked('lame-duck overlap', opts.lameDuckOverlapMs, 1000);
    checked('connect timeout', opts.connectTimeoutMs, 0);
    checked('max reconnect wait', opts.maxReconnectWaitMs, 0);
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

  private async dial(waitOnFirstConnect: boolean, servers = this.servers.map(hostPort), ordered = false): Promise<NatsConnection> {
    const maxWait = this.opts.maxReconnectWaitMs ?? 5000;
    const options: ConnectionOptions = {
      servers,
      // Found servers come in priority order, which must hold; configured ones are shuffled as nats.js does.
      noRandomize: ordered || this.opts.discover !== undefined,
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
    this.shuffleGossiped(nc);
    for await (const s of nc.status()) {
      // A connection being left behind (lame duck) speaks no more for this connector.
      if (nc !== this.nc) continue;
      if (s.type === Events.Disconnect) {
        this.dialsSinceLoss = 0;
        this.down = true;
        this.emit({ type: 'disconnected', server: statusData(s) });
      } else if (s.type === DebugEvents.Reconnecting) {
        if (++this.dialsSinceLoss >= 2 * Math.max(1, this.servers.length)) void this.rediscover(nc);
      } else if (s.type === Events.Reconnect) {
        this.attempt = 0;
        this.linkBack(nc, statusData(s));
      } else if (s.type === Events.Update) this.shuffleGossiped(nc);
      else if (s.type === Events.LDM) void this.leaveLameDuck(nc, statusData(s));
      else if (s.type === Events.Error) this.emit({ type: 'error', error: statusError(s) });
    }
  }

  /** The link is up again on `nc`: what was held while it was down goes out, and listeners hear so. */
  private linkBack(nc: NatsConnection, server: string): void {
    this.dialsSinceLoss = 0;
    this.down = false;
    const dropped = this.dropped;
    this.sendHeld(nc);
    this.emit({ type: 'reconnected', server, ...(dropped.messages > 0 ? { dropped } : {}) });
  }

  /**
   * Brokers learnt from the cluster (its INFO's connect_urls) are appended by nats.js in the order the broker lists
   * them, the same for every client of that broker: shuffled, so that a failover spreads its clients over the rest.
   * Servers found by SRV keep their priority order.
   */
  private shuffleGossiped(nc: NatsConnection): void {
    if (this.opts.discover) return;
    const list = dialList(nc);
    if (list) shuffle(list.servers);
  }

  /** Sends what was held while disconnected, in order. */
  private sendHeld(nc: NatsConnection): void {
    const held = this.held.splice(0);
    this.heldBytes = 0;
    this.dropped = { messages: 0, bytes: 0 };
    for (const m of held) nc.publish(m.subject, m.data, m.reply === undefined ? undefined : { reply: m.reply });
  }

  /**
   * The broker is going away (lame-duck mode) and will soon close this connection: after a random wait within the
   * spread (so its clients do not all arrive elsewhere at once), connect to another member of its cluster,
   * subscribe there, and only then stop listening on the old connection, which stays open `overlapMs` for what is in
   * flight. A message both connections deliver in that time is handled once.
   */
  private async leaveLameDuck(nc: NatsConnection, server: string): Promise<void> {
    if (this.closing) return;
    if (this.moving) {
      this.pendingLameDuck = { nc, server };
      return;
    }
    this.moving = true;
    try {
      const delayMs = Math.round(Math.random() * this.spreadMs);
      this.emit({ type: 'lame_duck', server, delayMs });
      await sleep(delayMs);
      // Evicted meanwhile, nats.js has reconnected elsewhere already.
      if (nc !== this.nc || nc.isClosed() || this.closing || nc.getServer() !== server) return;
      const others = knownServers(nc).filter((s) => s !== server);
      if (others.length === 0) return;
      if (!this.opts.discover) shuffle(others);
      let next: NatsConnection;
      try {
        // The broker being left stays last on the list, for when it comes back.
        next = await this.dial(false, [...others, server], true);
      } catch {
        return; // nowhere else to go now: nats.js reconnects when the broker evicts this connection
      }
      if (this.closing || nc !== this.nc) {
        await next.close();
        return;
      }
      const seen = { copies: new Map<string, NatsConnection>(), recording: true };
      this.seen = seen;
      this.replyVia = new Map();
      for (const live of this.live) {
        live.old = live.sub;
        live.sub = this.subscribeOn(next, live);
      }
      // From here on, new subscriptions and everything published go to the new connection.
      this.nc = next;
      this.manager = undefined;
      this.attempt = 0;
      void this.watchStatus(next);
      stopReconnecting(nc);
      // Evicted while dialling: the old connection's reconnect no longer speaks for this connector, so the link is
      // back now, with what was held while it was down.
      if (this.down) this.linkBack(next, next.getServer());
      await next.flush().catch(() => undefined);
      this.emit({ type: 'moved', from: server, to: next.getServer() });
      await sleep(this.overlapMs);
      for (const live of this.live) {
        live.old?.unsubscribe();
        live.old = undefined;
      }
      seen.recording = false;
      await closeWithin(nc, 1000);
      this.replyVia = undefined;
      // A copy the old connection delivered just before it stopped may have its twin on the way through a slow broker.
      setTimeout(() => this.seen === seen && (this.seen = undefined), LATE_TWIN_MS).unref();
    } finally {
      this.moving = false;
      const pending = this.pendingLameDuck;
      this.pendingLameDuck = undefined;
      if (pending && pending.nc === this.nc) void this.leaveLameDuck(pending.nc, pending.server);
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

  private subscribeOn(nc: NatsConnection, live: LiveSub): NatsSub {
    return nc.subscribe(live.subject, {
      callback: (err, msg) => {
        if (err || this.deliveredTwice(nc, msg.subject, msg.reply, msg.data)) return;
        if (msg.reply && this.replyVia && nc !== this.nc) this.replyVia.set(msg.reply, nc);
        live.handler(msg.reply ? { data: msg.data, replyTo: msg.reply } : { data: msg.data });
      },
    });
  }

  /** While two connections are (or were just) subscribed: true for the second copy of a message the other delivered. */
  private deliveredTwice(via: NatsConnection, subject: string, reply: string | undefined, data: Uint8Array): boolean {
    const seen = this.seen;
    if (!seen) return false;
    const key = createHash('sha1')
      .update(subject)
      .update(' ')
      .update(reply ?? '')
      .update(' ')
      .update(data)
      .digest('base64');
    const first = seen.copies.get(key);
    if (first !== undefined && first !== via) {
      seen.copies.delete(key);
      return true;
    }
    if (seen.recording) seen.copies.set(key, via);
    return false;
  }

  private listen(subject: string, handler: MessageHandler): LiveSub {
    const live = { subject, handler } as LiveSub;
    live.sub = this.subscribeOn(this.conn(), live);
    this.live.add(live);
    return live;
  }

  private unlisten(live: LiveSub): void {
    this.live.delete(live);
    live.sub.unsubscribe();
    live.old?.unsubscribe();
  }

  async subscribe(dest: Destination, handler: MessageHandler): Promise<Subscription> {
    const live = this.listen(subjectOf(dest), handler);
    return { unsubscribe: async () => this.unlisten(live) };
  }

  async openInbox(collective: string, sender: string, requestId: string, handler: MessageHandler): Promise<ReplyInbox> {
    const address = replySubject(collective, sender, requestId);
    const live = this.listen(address, handler);
    // The subscription must be known to the broker before any request goes out, or early replies are lost.
    await this.conn().flush();
    return { address, close: async () => this.unlisten(live) };
  }

  async publish(dest: Destination, data: Uint8Array, replyTo?: string): Promise<void> {
    // The reply subject travels in the message's own header line, where a node finds it without decoding.
    if (replyTo !== undefined && !REPLY_SUBJECT.test(replyTo))
      throw new TransportError('bad_address', `not a usable reply subject: ${JSON.stringify(replyTo.slice(0, 80))}`);
    this.send(subjectOf(dest), data, replyTo);
  }

  async reply(address: string, data: Uint8Array): Promise<void> {
    // nats.js writes the subject verbatim into the protocol line: a blank or line break in an address taken
    // from a request would split the command and could inject others into this connection.
    if (!REPLY_SUBJECT.test(address))
      throw new TransportError('bad_address', `not a usable reply subject: ${JSON.stringify(address.slice(0, 80))}`);
    const via = this.replyVia?.get(address);
    if (via && !via.isClosed()) {
      try {
        via.publish(address, data);
        return;
      } catch {
        // Draining already: the new connection takes it.
      }
    }
    this.send(address, data);
  }

  /**
   * Publishes now, or while disconnected holds the message within the reconnect buffer. nats.js would queue without
   * bound and send it all to the broker it reconnects to (a restarted broker under a fleet), or lose it at its next
   * dial attempt; so while the link is down nothing goes to nats.js.
   */
  private send(subject: string, data: Uint8Array, reply?: string): void {
    const nc = this.conn();
    if (!this.down && this.held.length === 0 && linkUp(nc)) {
      nc.publish(subject, data, reply === undefined ? undefined : { reply });
      return;
    }
    const bytes = data.length + subject.length + (reply?.length ?? 0);
    if (this.heldBytes + bytes > this.bufferBytes) {
      this.dropped.messages++;
      this.dropped.bytes += bytes;
      this.emit({ type: 'dropped', bytes });
      return;
    }
    this.held.push({ subject, data, reply });
    this.heldBytes += bytes;
    // Published between nats.js reconnecting and its status saying so: send at once.
    if (!this.down && linkUp(nc)) this.sendHeld(nc);
  }

  async flush(): Promise<void> {
    await this.conn().flush();
  }

  /** Drains (delivering what is in flight); a broker that is gone cannot be drained, so give up after drainTimeoutMs. */
  async close(drainTimeoutMs = 5000): Promise<void> {
    this.closing = true;
    const nc = this.nc;
    if (!nc || nc.isClosed()) return;
    await closeWithin(nc, drainTimeoutMs);
  }
}

/** Drains `nc` (delivering what is in flight); a broker that is gone cannot be drained, so give up after `ms`. */
async function closeWithin(nc: NatsConnection, ms: number): Promise<void> {
  if (nc.isClosed()) return;
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  try {
    const outcome = await Promise.race([nc.drain().then(() => 'drained' as const), gaveUp]);
    if (outcome === 'timeout') await nc.close();
  } catch {
    await nc.close();
  } finally {
    clearTimeout(timer);
  }
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

const hostPort = (url: string): string => url.replace(/^nats:\/\//, '');

/** nats.js's own server list, which it dials from while reconnecting (not part of its typed API). */
interface DialList {
  servers: Array<{ listen?: unknown }>;
  addServer(hostPort: string, implicit?: boolean): void;
}

/** The protocol handler behind a connection, as far as this module reads it; nats.js does not type it. */
type Protocol = { servers?: Partial<DialList>; connected?: unknown; options?: { reconnect?: boolean }; abortReconnect?: unknown };
const protocolOf = (nc: NatsConnection) => (nc as unknown as { protocol?: Protocol }).protocol;

/** nats.js's server list when it is there as expected (another nats.js may differ). */
function dialList(nc: NatsConnection): DialList | undefined {
  const list = protocolOf(nc)?.servers;
  return list && Array.isArray(list.servers) && typeof list.addServer === 'function' ? (list as DialList) : undefined;
}

/** Every server nats.js knows of, configured and learnt from the cluster, as host:port. */
function knownServers(nc: NatsConnection): string[] {
  return (dialList(nc)?.servers ?? []).flatMap((s) => (typeof s.listen === 'string' ? [s.listen] : []));
}

/**
 * A connection being left must not come back. Evicted, nats.js would dial again, and a close() that lands while a
 * dial is in flight leaves that dial's socket open (a connection with no subscriptions, re-dialled after every broker
 * restart): from here on an eviction closes it, and a reconnect under way gives up at its next attempt.
 */
function stopReconnecting(nc: NatsConnection): void {
  const protocol = protocolOf(nc);
  if (!protocol) return;
  if (protocol.options && typeof protocol.options.reconnect === 'boolean') protocol.options.reconnect = false;
  if (typeof protocol.abortReconnect === 'boolean') protocol.abortReconnect = true;
}

/** Whether nats.js has a live link to a broker now; true when its state cannot be read (status events then tell). */
function linkUp(nc: NatsConnection): boolean {
  const connected = protocolOf(nc)?.connected;
  return typeof connected === 'boolean' ? connected : true;
}

/**
 * Puts `servers` in place of the list nats.js reconnects from, in this order. nats.js offers no call for it, so this
 * reaches its server list; false when that is not there as expected (another nats.js), and the old list stays.
 */
function replaceServerList(nc: NatsConnection, servers: string[]): boolean {
  const list = dialList(nc);
  if (!list) return false;
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
      reconnectBufferBytes: config.get('plugin.nats.reconnect_buffer'),
      lameDuckSpreadMs: config.get('plugin.nats.lame_duck_spread') * 1000,
    });
  },
};
