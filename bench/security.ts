// What message security costs: raw sign/verify rates per key type, and signed against unsigned `mco ping` and
// `mco rpc rpcutil ping` on a simulated fleet (same broker, same fleet size, one fleet after the other).
// Run directly (`node dist/bench/security.js 1000,10000`) or through `npm run bench`.
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, signBytes, verifyBytes, type KeyType } from '../src/security/pki/keys.js';
import { createDevPki, configText, type DevPki } from '../src/devkit/pki.js';
import { generateFleet } from '../src/server/fleet.js';
import { startBrokers } from './lib/brokers.js';
import { runMco, startSimProcess, stopProcess, type SimProcess } from './lib/processes.js';

const PER_PROCESS = 2500;
const PREFIX = 'sec';
const CLIENT = 'bench.troupe';

export interface SignRate {
  alg: 'RSA-2048' | 'Ed25519';
  signPerSec: number;
  verifyPerSec: number;
}

export interface SignedPingResult {
  n: number;
  /** Time to the last reply of `mco ping`, median of the runs. */
  signedMs: number;
  unsignedMs: number;
  ratio: number;
  /** Fewest replies any signed run received. */
  replies: number;
  /** `mco rpc rpcutil ping` (broadcast discovery, then the request), total time. */
  rpcSignedMs: number;
  rpcUnsignedMs: number;
  rpcRatio: number;
  rpcReplies: number;
  /** Signed requests, replies only hashed (plugin.security.sign_replies = false, as Choria's v1 protocol). */
  hashedRepliesMs: number;
  hashedRepliesRatio: number;
  /** Making the fleet's certificates (not part of the timings). */
  certificateSetupMs: number;
}

function rate(fn: () => void, minMs = 400): number {
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < minMs) {
    for (let i = 0; i < 20; i++) fn();
    n += 20;
  }
  return Math.round(n / ((performance.now() - start) / 1000));
}

/** Single-core signatures and verifications per second over a typical request text (~1 KB). */
export function signOpsPerSecond(): SignRate[] {
  const text = Buffer.from(JSON.stringify({ filter: {}, message: { agent: 'rpcutil', action: 'ping', data: {} }, pad: 'x'.repeat(800) }));
  const out: SignRate[] = [];
  for (const [alg, type] of [
    ['RSA-2048', 'rsa'],
    ['Ed25519', 'ed25519'],
  ] as Array<[SignRate['alg'], KeyType]>) {
    const { privateKey, publicKey } = generateKeyPair(type);
    const signature = signBytes(text, privateKey);
    rate(() => signBytes(text, privateKey), 100);
    out.push({
      alg,
      signPerSec: rate(() => signBytes(text, privateKey)),
      verifyPerSec: rate(() => verifyBytes(text, publicKey, signature)),
    });
  }
  return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

async function startFleet(url: string, n: number, configFile: string): Promise<SimProcess[]> {
  const jobs: Promise<SimProcess>[] = [];
  for (let offset = 0; offset < n; offset += PER_PROCESS) {
    const count = Math.min(PER_PROCESS, n - offset);
    jobs.push(
      startSimProcess(
        ['--nodes', String(count), '--offset', String(offset), '--prefix', PREFIX, '--server', url, '-c', configFile],
        count,
        count + 1024,
      ),
    );
  }
  return Promise.all(jobs);
}

async function measure(configFile: string, n: number, repeat: number) {
  const ping: number[] = [];
  const rpc: number[] = [];
  let replies = n;
  let rpcReplies = n;
  for (let i = 0; i < repeat + 1; i++) {
    const p = await runMco(['ping', '-c', configFile, '--json', '--expect', String(n), '-t', '60']);
    const pj = JSON.parse(p.stdout) as { stats: { count: number; last_reply_ms: number } };
    const r = await runMco(['rpc', 'rpcutil', 'ping', '-c', configFile, '--json', '--np']);
    const rj = JSON.parse(r.stdout) as { replies: unknown[]; request_stats: { total_time_ms: number } };
    if (i === 0) continue; // warm-up: JIT, caches, broker routes
    ping.push(pj.stats.last_reply_ms);
    rpc.push(rj.request_stats.total_time_ms);
    replies = Math.min(replies, pj.stats.count);
    rpcReplies = Math.min(rpcReplies, rj.replies.length);
  }
  return { pingMs: median(ping), rpcMs: median(rpc), replies, rpcReplies };
}

/** Signed (pki) against unsigned (insecure) at `n` simulated nodes: one fleet measured, stopped, then the other. */
export async function signedPing(n: number, repeat = 3): Promise<SignedPingResult> {
  const work = mkdtempSync(join(tmpdir(), 'troupe-bench-sec-'));
  const brokers = await startBrokers(n);
  const url = brokers.urls[0]!;
  let pki: DevPki | undefined;
  try {
    const certStart = performance.now();
    pki = createDevPki({ dir: join(work, 'pki'), clients: [CLIENT] });
    const identities: string[] = [];
    for (let offset = 0; offset < n; offset += PER_PROCESS) {
      identities.push(...generateFleet(Math.min(PER_PROCESS, n - offset), PREFIX, offset).nodes.map((v) => v.identity));
    }
    pki.issueFleet(identities);
    const certificateSetupMs = performance.now() - certStart;

    const common = { middleware_hosts: url, discovery_timeout: 10 };
    const insecure = { ...common, securityprovider: 'insecure' };
    const files = {
      unsignedSim: join(work, 'unsigned-sim.cfg'),
      unsignedClient: join(work, 'unsigned-client.cfg'),
      signedSim: join(work, 'signed-sim.cfg'),
      signedClient: join(work, 'signed-client.cfg'),
      hashedSim: join(work, 'hashed-sim.cfg'),
      hashedClient: join(work, 'hashed-client.cfg'),
    };
    writeFileSync(files.unsignedSim, configText(insecure));
    writeFileSync(files.unsignedClient, configText(insecure));
    writeFileSync(files.signedSim, configText({ ...common, ...pki.serverConfig({ 'plugin.security.sign_replies': 1 }) }));
    writeFileSync(files.signedClient, configText({ ...common, ...pki.clientConfig(CLIENT, { 'plugin.security.sign_replies': 1 }) }));
    writeFileSync(files.hashedSim, configText({ ...common, ...pki.serverConfig({ 'plugin.security.sign_replies': 0 }) }));
    writeFileSync(files.hashedClient, configText({ ...common, ...pki.clientConfig(CLIENT, { 'plugin.security.sign_replies': 0 }) }));

    const run = async (simConfig: string, clientConfig: string) => {
      const sims = await startFleet(url, n, simConfig);
      try {
        return await measure(clientConfig, n, repeat);
      } finally {
        await Promise.all(sims.map((s) => stopProcess(s.child)));
      }
    };
    const unsigned = await run(files.unsignedSim, files.unsignedClient);
    const signed = await run(files.signedSim, files.signedClient);
    const hashed = await run(files.hashedSim, files.hashedClient);
    return {
      n,
      signedMs: signed.pingMs,
      unsignedMs: unsigned.pingMs,
      ratio: signed.pingMs / unsigned.pingMs,
      replies: signed.replies,
      rpcSignedMs: signed.rpcMs,
      rpcUnsignedMs: unsigned.rpcMs,
      rpcRatio: signed.rpcMs / unsigned.rpcMs,
      rpcReplies: signed.rpcReplies,
      hashedRepliesMs: hashed.pingMs,
      hashedRepliesRatio: hashed.pingMs / unsigned.pingMs,
      certificateSetupMs,
    };
  } finally {
    await brokers.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const sizes = (process.argv[2] ?? '1000,10000')
    .split(',')
    .map(Number)
    .filter((x) => x > 0);
  for (const r of signOpsPerSecond()) console.log(`${r.alg.padEnd(9)} sign ${r.signPerSec}/s  verify ${r.verifyPerSec}/s`);
  for (const n of sizes) {
    const r = await signedPing(n);
    console.log(
      `N=${n}: mco ping last reply signed ${r.signedMs.toFixed(0)} ms vs unsigned ${r.unsignedMs.toFixed(0)} ms (${r.ratio.toFixed(2)}×, ${r.replies}/${n} replies); ` +
        `rpc rpcutil ping ${r.rpcSignedMs.toFixed(0)} vs ${r.rpcUnsignedMs.toFixed(0)} ms (${r.rpcRatio.toFixed(2)}×, ${r.rpcReplies}/${n}); ` +
        `ping with hashed replies ${r.hashedRepliesMs.toFixed(0)} ms (${r.hashedRepliesRatio.toFixed(2)}×); certificates made in ${(r.certificateSetupMs / 1000).toFixed(1)} s`,
    );
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) await main();
