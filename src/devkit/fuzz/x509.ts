// Differential fuzzing of troupe's DER/X.509 readers against OpenSSL: mutated copies of a seeded corpus of
// valid certificates, CRLs and requests go to both; whenever troupe accepts, OpenSSL must accept too and agree
// on every field troupe reads. troupe refusing what OpenSSL reads is allowed (fail-closed) and counted.
//
//   const report = fuzzX509({ seed: 1, cases: 20_000 });   report.disagreements must be empty
//
// OpenSSL is called for every case troupe accepts (the direction that matters) and for a sample of the rest.
import { sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toPem } from '../../security/pki/pem.js';
import { buildCorpus, type Seed, type SeedKind } from './corpus.js';
import { mutate, parseTree, serialise, tlv, type Node } from './mutate.js';
import {
  checkCertificate,
  checkCrls,
  checkCsr,
  checkPrintedCertificates,
  CliBatch,
  troupeCrl,
  troupeCsr,
  type Disagreement,
  type PendingCertificate,
} from './oracle.js';
import { Random } from './random.js';
import type { CrlInfo } from '../../security/pki/x509-read.js';

export interface FuzzOptions {
  seed: number;
  cases: number;
  /** Share of the cases troupe rejects that OpenSSL also reads, to count fail-closed ones (default 0.02). */
  rejectedSample?: number;
  /** Share of accepted certificates whose key usage and basic constraints are checked with the OpenSSL CLI (default 1). */
  keyUsageSample?: number;
  /** Accepted requests checked with `openssl req`, one process each, before sampling 1 in 20 (default 300). */
  csrChecks?: number;
  /** PEM blocks per `openssl storeutl` run (default 2000). */
  batchSize?: number;
  /** Examples of disagreements to keep (all are counted). */
  keep?: number;
  onProgress?: (done: number) => void;
}

export interface KindStats {
  cases: number;
  troupeAccepted: number;
  troupeRejected: number;
  /** Cases troupe accepted that OpenSSL also read (each one is checked). */
  opensslAccepted: number;
  /** Cases troupe accepted that were checked with OpenSSL (all certificates and CRLs; requests are sampled). */
  opensslChecked: number;
  /** Of the sampled cases troupe rejected: how many OpenSSL read (troupe fail-closed) and refused. */
  rejectedSampled: number;
  failClosed: number;
}

export interface FuzzReport {
  seed: number;
  cases: number;
  corpus: Record<SeedKind, number>;
  elapsedMs: number;
  casesPerSecond: number;
  kinds: Record<SeedKind, KindStats>;
  opensslProcesses: number;
  disagreementCount: number;
  /** Count by kind and field. */
  disagreementsByField: Record<string, number>;
  disagreements: Disagreement[];
}

const emptyStats = (): KindStats => ({
  cases: 0,
  troupeAccepted: 0,
  troupeRejected: 0,
  opensslAccepted: 0,
  opensslChecked: 0,
  rejectedSampled: 0,
  failClosed: 0,
});

export function fuzzX509(opts: FuzzOptions): FuzzReport {
  const started = performance.now();
  const random = new Random(opts.seed);
  const corpus = buildCorpus(opts.seed);
  const trees = corpus.seeds.map((s) => parseTree(s.der)[0]!);
  const rejectedSample = opts.rejectedSample ?? 0.02;
  const keyUsageSample = opts.keyUsageSample ?? 1;
  const csrChecks = opts.csrChecks ?? 300;
  const batchSize = opts.batchSize ?? 2000;
  const keep = opts.keep ?? 50;
  const kinds: Record<SeedKind, KindStats> = { certificate: emptyStats(), crl: emptyStats(), csr: emptyStats() };
  const disagreements: Disagreement[] = [];
  const byField: Record<string, number> = {};
  let count = 0;
  const report = (d: Disagreement) => {
    count++;
    byField[`${d.kind} ${d.field}`] = (byField[`${d.kind} ${d.field}`] ?? 0) + 1;
    if (disagreements.length < keep) disagreements.push(d);
  };

  const batch = new CliBatch();
  const scratch = mkdtempSync(join(tmpdir(), 'troupe-fuzz-req-'));
  let csrProcesses = 0;
  let pendingKu: PendingCertificate[] = [];
  let pendingCrls: Array<{ der: Uint8Array; crl: CrlInfo }> = [];
  let rejectedCrls: Uint8Array[] = [];
  const flush = () => {
    for (const d of checkPrintedCertificates(batch, pendingKu)) report(d);
    const crlDisagreements = checkCrls(batch, pendingCrls);
    kinds.crl.opensslAccepted += pendingCrls.length - crlDisagreements.filter((d) => d.field === 'acceptance').length;
    for (const d of crlDisagreements) report(d);
    const printed = batch.print(rejectedCrls.map((der) => toPem(der, 'X509 CRL')));
    kinds.crl.failClosed += printed.filter(Boolean).length;
    pendingKu = [];
    pendingCrls = [];
    rejectedCrls = [];
  };

  try {
    for (let i = 0; i < opts.cases; i++) {
      const index = random.int(corpus.seeds.length);
      try {
        runCase(index);
      } catch (err) {
        // A fault of the fuzzer itself (not of a reader) is counted and reported, and the run goes on.
        report({
          kind: corpus.seeds[index]!.kind,
          field: 'fuzzer',
          troupe: '',
          openssl: '',
          input: `fuzzer error: ${(err as Error).stack ?? String(err)}`,
        });
      }
      if (pendingKu.length + 2 * pendingCrls.length + rejectedCrls.length >= batchSize) flush();
      if (opts.onProgress && (i + 1) % 10_000 === 0) opts.onProgress(i + 1);
    }
    flush();
  } finally {
    batch.close();
    rmSync(scratch, { recursive: true, force: true });
  }

  /** One mutated case through troupe and, where it accepts, OpenSSL. */
  function runCase(index: number): void {
    const seed = corpus.seeds[index]!;
    const stats = kinds[seed.kind];
    stats.cases++;
    const sampleRejected = random.chance(rejectedSample);
    if (seed.kind === 'certificate') {
      const { der } = mutate(trees[index]!, { random, donors: trees });
      let verdict: ReturnType<typeof checkCertificate>;
      try {
        verdict = checkCertificate({ der, signerPublicKey: seed.signerPublicKey, checkRejected: sampleRejected });
      } catch (err) {
        // A value the oracle cannot map is reported, not skipped.
        verdict = {
          troupe: 'accept',
          openssl: 'accept',
          disagreement: { field: 'oracle', troupe: 'accepts', openssl: `oracle failed: ${(err as Error).message}` },
        };
      }
      if (verdict.troupe === 'reject') {
        stats.troupeRejected++;
        if (verdict.openssl) {
          stats.rejectedSampled++;
          if (verdict.openssl === 'accept') stats.failClosed++;
        }
      } else {
        stats.troupeAccepted++;
        stats.opensslChecked++;
        if (verdict.openssl === 'accept') stats.opensslAccepted++;
        if (verdict.disagreement) report({ kind: 'certificate', ...verdict.disagreement, input: Buffer.from(der).toString('base64') });
        else if (verdict.pending && random.chance(keyUsageSample)) pendingKu.push(verdict.pending);
      }
    } else if (seed.kind === 'crl') {
      const { der } = mutate(trees[index]!, { random, donors: trees });
      const crl = troupeCrl(der);
      if (!crl) {
        stats.troupeRejected++;
        if (sampleRejected) {
          stats.rejectedSampled++;
          rejectedCrls.push(der);
        }
      } else {
        stats.troupeAccepted++;
        stats.opensslChecked++;
        pendingCrls.push({ der, crl });
      }
    } else {
      const der = mutateRequest(seed, trees[index]!, random, trees);
      const csr = troupeCsr(der);
      if (!csr) {
        stats.troupeRejected++;
      } else {
        stats.troupeAccepted++;
        if (csrProcesses < csrChecks || random.chance(0.05)) {
          csrProcesses++;
          stats.opensslChecked++;
          const d = checkCsr(scratch, der, csr);
          if (!d || d.field !== 'acceptance') stats.opensslAccepted++;
          if (d) report(d);
        }
      }
    }
  }
  const elapsedMs = performance.now() - started;
  const corpusCounts = { certificate: 0, crl: 0, csr: 0 };
  for (const s of corpus.seeds) corpusCounts[s.kind]++;
  return {
    seed: opts.seed,
    cases: opts.cases,
    corpus: corpusCounts,
    elapsedMs,
    casesPerSecond: opts.cases / (elapsedMs / 1000),
    kinds,
    opensslProcesses: batch.runs + csrProcesses,
    disagreementCount: count,
    disagreementsByField: byField,
    disagreements,
  };
}

/**
 * Requests carry a signature troupe checks, so most mutations fail there. Six in ten mutate only the signed
 * body and sign it again with the request's key, to reach the name and key reading behind the signature.
 */
function mutateRequest(seed: Seed, tree: Node, random: Random, donors: readonly Node[]): Uint8Array {
  if (!random.chance(0.6) || !seed.signerPrivateKey || tree.children?.length !== 3) return mutate(tree, { random, donors }).der;
  const body = mutate(tree.children[0]!, { random, donors }).der;
  const key = seed.signerPrivateKey;
  const signature = sign(key.asymmetricKeyType === 'ed25519' ? null : 'sha256', body, key);
  return tlv(0x30, body, serialise([tree.children[1]!]), tlv(0x03, Uint8Array.of(0), signature));
}
