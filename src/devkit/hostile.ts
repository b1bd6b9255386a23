// The hostile flood: every kind of bad message an attacker on the broker can send a node, crafted on the wire
// (signed with any key, any field wrong), published in paced chunks while a legitimate client pings the node every
// 100 ms. Used by the benchmark (`--only hostile`) and the integration tests; each kind names the counter the node
// must count it under, so the caller can check that nothing ran that should not and that the counters add up.
import { readFileSync } from 'node:fs';
import { randomBytes, type KeyObject } from 'node:crypto';
import { connect, type NatsConnection } from 'nats';
import { emptyFilter, type Filter } from '../filter/index.js';
import type { StatsSnapshot } from '../server/stats.js';
import {
  PROTOCOL,
  buildRequestFrame,
  checkSecureReply,
  decodeFrame,
  decodeReply,
  encodeFrame,
  newRequestId,
  nodeSubject,
  broadcastSubject,
  type ReplyEnvelope,
  type RequestEnvelope,
  type SecureRequest,
} from '../protocol/index.js';
import { privateKeyFromPem, signBytes } from '../security/pki/keys.js';

const COLLECTIVE = 'mcollective';
const SENDER = 'flood';
const DAY_S = 86_400;

/** A certificate and its key, to sign crafted requests with. */
export interface Signer {
  cert: string;
  key: KeyObject;
  caller: string;
}

export function signerFrom(certPath: string, keyPath: string, name: string): Signer {
  return { cert: readFileSync(certPath, 'utf8'), key: privateKeyFromPem(readFileSync(keyPath, 'utf8')), caller: `cert=${name}` };
}

export function craftRequest(caller: string, overrides: Partial<RequestEnvelope> = {}): RequestEnvelope {
  return {
    protocol: PROTOCOL.request,
    id: newRequestId(),
    sender: SENDER,
    caller,
    collective: COLLECTIVE,
    agent: 'rpcutil',
    ttl: 60,
    time: Date.now(),
    filter: emptyFilter(),
    message: { agent: 'rpcutil', action: 'ping', data: {} },
    ...overrides,
  };
}

export function signText(text: string, signer: Signer): SecureRequest {
  return {
    protocol: PROTOCOL.secureRequest,
    request: text,
    signature: signBytes(Buffer.from(text), signer.key).toString('base64'),
    certificate: signer.cert,
  };
}

export function frameOf(secure: SecureRequest, replyTo: string): Uint8Array {
  return encodeFrame(buildRequestFrame(secure, SENDER, replyTo));
}

/** Who the flood signs as: a caller the policy allows (ops), one it allows nothing (mallory), one allowed but greedy. */
export interface FloodSigners {
  ops: Signer;
  mallory: Signer;
  greedy: Signer;
  /** A certificate from another CA. */
  foreign: Signer;
}

/** What the node must do with one kind of message: which counter it lands in. */
export interface Expectation {
  rejected?: string;
  filtered?: boolean;
  /** Runs (the greedy caller within its quota). */
  executed?: boolean;
}

export interface FloodOptions {
  url: string;
  /** The node's identity. */
  identity: string;
  signers: FloodSigners;
  /** Messages in the flood. */
  total: number;
  /** The node's max_message_size. */
  maxMessageSize: number;
  /** The node's replay quota per caller: the greedy caller sends this many and `greedyExtra` more. */
  quota: number;
  greedyExtra?: number;
  /** Identity filters with a catastrophic-backtracking pattern. */
  redos?: number;
  /** Requests over max_message_size. */
  oversize?: number;
  /** Signed requests just under max_message_size, from the caller allowed nothing. */
  huge?: number;
  /** Messages published before waiting for the node to catch up (a signed ping that must be answered). */
  chunk?: number;
  pingIntervalMs?: number;
  /** The node's pid, to sample its memory (/proc). */
  pid?: number;
  onProgress?: (sent: number) => void;
}

export interface FloodReport {
  sent: number;
  /** Messages per kind. */
  kinds: Record<string, number>;
  /** What the node's counters must have grown by, from the flood alone (pings and barriers excluded). */
  expected: { rejected: Record<string, number>; filtered: number; executed: number };
  /** Signed pings sent and answered along the way (the 100 ms probe and the pacing barriers). */
  pings: { sent: number; answered: number; p50Ms: number; p99Ms: number; maxMs: number };
  barriers: number;
  durationMs: number;
  messagesPerSecond: number;
  /** Peak resident memory of the node (VmHWM) and its RSS at the end, in MB. */
  peakRssMB?: number;
  endRssMB?: number;
}

interface Kind {
  name: string;
  expect: Expectation;
  make(): { subject: string; bytes: Uint8Array };
}

/** A raw connection that publishes frames and matches replies to their requests by id. */
export class RawClient {
  private readonly waiting = new Map<string, (reply: ReplyEnvelope) => void>();

  private constructor(
    private readonly nc: NatsConnection,
    private readonly inbox: string,
  ) {}

  static async connect(url: string, name = 'flood'): Promise<RawClient> {
    const nc = await connect({ servers: url.replace(/^nats:\/\//, ''), name });
    const tag = `${name}${newRequestId().slice(0, 8)}`;
    const client = new RawClient(nc, `${COLLECTIVE}.reply.${tag}`);
    nc.subscribe(`${client.inbox}.>`, {
      callback: (_err, msg) => {
        try {
          const reply = decodeReply(checkSecureReply(decodeFrame(msg.data, 1 << 24).data).reply);
          const done = client.waiting.get(reply.request_id);
          client.waiting.delete(reply.request_id);
          done?.(reply);
        } catch {
          // Not a reply this client understands: ignore it.
        }
      },
    });
    await nc.flush();
    return client;
  }

  /** A reply address nobody waits on: replies to the flood's own requests go there. */
  replyTo(id: string): string {
    return `${this.inbox}.${id}`;
  }

  publish(subject: string, bytes: Uint8Array): void {
    this.nc.publish(subject, bytes);
  }

  flush(): Promise<void> {
    return this.nc.flush();
  }

  /** Publishes `bytes` (whose request id is `id`) and resolves with the reply, or undefined after `timeoutMs`. */
  request(subject: string, id: string, bytes: Uint8Array, timeoutMs: number): Promise<ReplyEnvelope | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve(undefined);
      }, timeoutMs);
      this.waiting.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      this.nc.publish(subject, bytes);
    });
  }

  /** A signed rpcutil request straight to `identity`; resolves with its reply. */
  rpc(signer: Signer, identity: string, action: string, timeoutMs: number, overrides: Partial<RequestEnvelope> = {}) {
    const req = craftRequest(signer.caller, { message: { agent: 'rpcutil', action, data: {} }, ...overrides });
    const bytes = frameOf(signText(JSON.stringify(req), signer), this.replyTo(req.id));
    return { bytes, reply: this.request(nodeSubject(COLLECTIVE, identity), req.id, bytes, timeoutMs) };
  }

  close(): Promise<void> {
    return this.nc.close();
  }
}

/** rpcutil daemon_stats: the node's counters and its process. */
export type DaemonStats = StatsSnapshot & {
  pid: number;
  version: string;
  configfile: string;
  agents: string[];
  times: { utime: number; stime: number };
};

/** The node's counters, asked for with a signed rpcutil daemon_stats. */
export async function daemonStats(client: RawClient, signer: Signer, identity: string): Promise<DaemonStats> {
  const reply = await client.rpc(signer, identity, 'daemon_stats', 60_000).reply;
  if (!reply || reply.message.statuscode !== 0) throw new Error(`daemon_stats failed: ${reply ? reply.message.statusmsg : 'no reply'}`);
  return reply.message.data as unknown as DaemonStats;
}

/** Resident memory of a process in MB: now (VmRSS) and its peak (VmHWM). */
export function processMemoryMB(pid: number): { rss: number; peak: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN);
    return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

function kinds(o: FloodOptions, client: RawClient, replayPool: Uint8Array[]): Kind[] {
  const { ops, mallory, foreign } = o.signers;
  const broadcast = broadcastSubject(COLLECTIVE, 'rpcutil');
  const text = (s: string) => Buffer.from(s, 'utf8');
  const signedBy = (signer: Signer, over: Partial<RequestEnvelope> = {}, caller = signer.caller) => {
    const req = craftRequest(caller, over);
    return { subject: broadcast, bytes: frameOf(signText(JSON.stringify(req), signer), client.replyTo(req.id)) };
  };
  const identityFilter = (identity: string): Filter => ({ ...emptyFilter(), identity: [identity] });
  // Distinct junk certificates, each up to the size limit: a cache of failed checks keyed by their text would grow.
  const junkBody = randomBytes(4500)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n');
  let junk = 0;
  return [
    { name: 'binary garbage', expect: { rejected: 'malformed' }, make: () => ({ subject: broadcast, bytes: randomBytes(64) }) },
    { name: 'not JSON', expect: { rejected: 'malformed' }, make: () => ({ subject: broadcast, bytes: text(`PING {not json ${junk++}`) }) },
    {
      name: 'wrong shape',
      expect: { rejected: 'schema' },
      make: () => ({
        subject: broadcast,
        bytes: text(JSON.stringify({ protocol: PROTOCOL.transport, sender: 'x', data: { hello: junk++ } })),
      }),
    },
    {
      name: 'unsigned',
      expect: { rejected: 'unsigned' },
      make: () => {
        const req = craftRequest(ops.caller);
        return {
          subject: broadcast,
          bytes: frameOf({ protocol: PROTOCOL.secureRequest, request: JSON.stringify(req) }, client.replyTo(req.id)),
        };
      },
    },
    {
      name: 'forged (text changed after signing)',
      expect: { rejected: 'bad_signature' },
      make: () => {
        const req = craftRequest(ops.caller);
        const secure = signText(JSON.stringify(req), ops);
        return {
          subject: broadcast,
          bytes: frameOf({ ...secure, request: secure.request.replace('"ping"', '"inventory"') }, client.replyTo(req.id)),
        };
      },
    },
    {
      name: 'junk certificate',
      expect: { rejected: 'malformed_certificate' },
      make: () => {
        const req = craftRequest(ops.caller);
        const secure = signText(JSON.stringify(req), ops);
        const cert = `-----BEGIN CERTIFICATE-----\n${(junk++).toString(36).padStart(8, 'A')}${junkBody}\n-----END CERTIFICATE-----\n`;
        return { subject: broadcast, bytes: frameOf({ ...secure, certificate: cert }, client.replyTo(req.id)) };
      },
    },
    { name: 'certificate of another CA', expect: { rejected: 'untrusted_certificate' }, make: () => signedBy(foreign, {}, ops.caller) },
    { name: 'caller other than the signer', expect: { rejected: 'caller_mismatch' }, make: () => signedBy(ops, {}, 'cert=admin.troupe') },
    {
      name: 'replayed (bytes of a request that ran)',
      expect: { rejected: 'replay' },
      make: () => ({ subject: nodeSubject(COLLECTIVE, o.identity), bytes: replayPool[junk++ % replayPool.length]! }),
    },
    { name: 'stale', expect: { rejected: 'ttl_expired' }, make: () => signedBy(ops, { time: Date.now() - 3_600_000 }) },
    {
      name: 'TTL abuse: a day-long ttl, dated 23 h ago',
      expect: { rejected: 'ttl_expired' },
      make: () => signedBy(ops, { ttl: DAY_S, time: Date.now() - 23 * 3_600_000 }),
    },
    {
      name: 'TTL abuse: a day-long ttl, another collective',
      expect: { rejected: 'wrong_collective' },
      make: () => signedBy(ops, { ttl: DAY_S, collective: 'elsewhere' }),
    },
    {
      name: 'TTL abuse: a day-long ttl, caller allowed nothing',
      expect: { rejected: 'unauthorized' },
      make: () => signedBy(mallory, { ttl: DAY_S }),
    },
    { name: 'future-dated', expect: { rejected: 'future_message' }, make: () => signedBy(ops, { time: Date.now() + 600_000 }) },
    {
      name: 'filter no node can evaluate',
      expect: { rejected: 'bad_filter' },
      make: () => signedBy(mallory, { filter: { ...emptyFilter(), compound: ['role=db and ('] } }),
    },
    {
      name: 'for another node',
      expect: { filtered: true },
      make: () => signedBy(mallory, { ttl: DAY_S, filter: identityFilter('other.example.net') }),
    },
  ];
}

/** Kinds sent a fixed number of times, because each is expensive to make or to refuse. */
function countedKinds(o: FloodOptions, client: RawClient): Array<Kind & { count: number }> {
  const { mallory, greedy } = o.signers;
  const broadcast = broadcastSubject(COLLECTIVE, 'rpcutil');
  const signedBy = (signer: Signer, over: Partial<RequestEnvelope> = {}) => {
    const req = craftRequest(signer.caller, over);
    return { subject: broadcast, bytes: frameOf(signText(JSON.stringify(req), signer), client.replyTo(req.id)) };
  };
  const pad = 'x'.repeat(Math.max(0, o.maxMessageSize - 8192));
  const greedyExtra = o.greedyExtra ?? Math.max(10, Math.floor(o.quota / 2));
  return [
    {
      name: 'over max_message_size',
      count: o.oversize ?? 5,
      expect: { rejected: 'oversize' },
      make: () => ({ subject: broadcast, bytes: Buffer.alloc(o.maxMessageSize + 1024, 0x7b) }),
    },
    {
      name: 'just under max_message_size, caller allowed nothing',
      count: o.huge ?? 20,
      expect: { rejected: 'unauthorized' },
      make: () => signedBy(mallory, { ttl: DAY_S, message: { agent: 'rpcutil', action: 'ping', data: { pad } } }),
    },
    {
      name: 'ReDoS identity filter',
      count: o.redos ?? 0,
      expect: { filtered: true },
      make: () => signedBy(mallory, { filter: { ...emptyFilter(), identity: ['/^(.|.|.)*X$/'] } }),
    },
    // Valid and allowed: the first `quota` run, the rest are refused while the others' requests still run.
    { name: 'greedy caller within its quota', count: o.quota, expect: { executed: true }, make: () => signedBy(greedy, { ttl: DAY_S }) },
    {
      name: 'greedy caller over its quota',
      count: greedyExtra,
      expect: { rejected: 'replay_quota' },
      make: () => signedBy(greedy, { ttl: DAY_S }),
    },
  ];
}

const quantile = (sorted: number[], q: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : Number.NaN;

/**
 * Floods the node. Publishes `chunk` messages, then a signed ping straight to the node, and waits for its answer
 * before the next chunk: the broker delivers in order, so that answer means the chunk was handled, and the flood
 * runs as fast as the node can refuse it without piling up in the broker. Meanwhile a second connection pings the
 * node every `pingIntervalMs` and times each answer.
 */
export async function runFlood(o: FloodOptions): Promise<FloodReport> {
  const client = await RawClient.connect(o.url, 'flood');
  const prober = await RawClient.connect(o.url, 'probe');
  const chunk = o.chunk ?? 500;
  const latencies: number[] = [];
  let pingsSent = 0;
  let barriers = 0;
  let peakRss = 0;
  const pending: Array<Promise<unknown>> = [];
  try {
    // Requests that ran, for the replay kind to send again.
    const replayPool: Uint8Array[] = [];
    for (let i = 0; i < 20; i++) {
      const { bytes, reply } = client.rpc(o.signers.ops, o.identity, 'ping', 30_000);
      if (!(await reply)) throw new Error('the node does not answer a signed ping before the flood');
      replayPool.push(bytes);
      barriers++;
    }
    const cheap = kinds(o, client, replayPool);
    const counted = countedKinds(o, client);
    const fixed = counted.reduce((n, k) => n + k.count, 0);
    if (fixed > o.total) throw new Error(`the flood of ${o.total} cannot hold the ${fixed} fixed messages`);
    // The order of the whole flood: the fixed kinds spread evenly through it, the cheap ones round the rest.
    const plan: Array<Kind | undefined> = new Array<Kind | undefined>(o.total);
    for (const k of counted) {
      for (let i = 0; i < k.count; i++) {
        let at = Math.floor(((i + 0.5) / k.count) * o.total);
        while (plan[at % o.total]) at++;
        plan[at % o.total] = k;
      }
    }
    for (let i = 0, c = 0; i < o.total; i++) plan[i] ??= cheap[c++ % cheap.length]!;

    const sent: Record<string, number> = {};
    const expected = { rejected: {} as Record<string, number>, filtered: 0, executed: 0 };
    for (const k of plan as Kind[]) {
      sent[k.name] = (sent[k.name] ?? 0) + 1;
      if (k.expect.rejected) expected.rejected[k.expect.rejected] = (expected.rejected[k.expect.rejected] ?? 0) + 1;
      if (k.expect.filtered) expected.filtered++;
      if (k.expect.executed) expected.executed++;
    }

    const probe = setInterval(() => {
      if (o.pid) peakRss = Math.max(peakRss, processMemoryMB(o.pid)?.rss ?? 0);
      pingsSent++;
      const started = performance.now();
      const { reply } = prober.rpc(o.signers.ops, o.identity, 'ping', 120_000);
      pending.push(reply.then((r) => r?.message.statuscode === 0 && latencies.push(performance.now() - started)));
    }, o.pingIntervalMs ?? 100);

    const started = performance.now();
    try {
      for (let i = 0; i < plan.length; i += chunk) {
        for (const k of plan.slice(i, i + chunk) as Kind[]) {
          const { subject, bytes } = k.make();
          client.publish(subject, bytes);
        }
        const { bytes, reply } = client.rpc(o.signers.ops, o.identity, 'ping', 120_000);
        barriers++;
        if ((await reply)?.message.statuscode !== 0) throw new Error(`the node stopped answering after ${i + chunk} hostile messages`);
        // Replays are of requests that ran recently, so they are refused as replays and not as expired.
        replayPool[barriers % replayPool.length] = bytes;
        o.onProgress?.(Math.min(plan.length, i + chunk));
      }
    } finally {
      clearInterval(probe);
    }
    const durationMs = performance.now() - started;
    await Promise.all(pending);
    const sorted = [...latencies].sort((a, b) => a - b);
    const mem = o.pid ? processMemoryMB(o.pid) : undefined;
    return {
      sent: plan.length,
      kinds: sent,
      expected,
      pings: {
        sent: pingsSent,
        answered: latencies.length,
        p50Ms: quantile(sorted, 0.5),
        p99Ms: quantile(sorted, 0.99),
        maxMs: sorted.at(-1) ?? Number.NaN,
      },
      barriers,
      durationMs,
      messagesPerSecond: plan.length / (durationMs / 1000),
      peakRssMB: mem ? Math.max(mem.peak, peakRss) : undefined,
      endRssMB: mem?.rss,
    };
  } finally {
    await Promise.all([client.close(), prober.close()]);
  }
}
