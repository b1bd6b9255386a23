// troupe's DER/X.509 readers against OpenSSL: a short seeded differential fuzz run, and every input on which
// they once disagreed. The million-case run is `npm run bench -- --only fuzz`.
import type { KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCorpus } from '../../../src/devkit/fuzz/corpus.js';
import {
  checkCertificate,
  checkCrls,
  checkCsr,
  checkPrintedCertificates,
  CliBatch,
  troupeCrl,
  troupeCsr,
  type Disagreement,
} from '../../../src/devkit/fuzz/oracle.js';
import { fuzzX509 } from '../../../src/devkit/fuzz/x509.js';
import { REGRESSIONS } from './x509-fuzz-regressions.js';

describe('troupe reads certificates, CRLs and requests as OpenSSL does', () => {
  const batch = new CliBatch();
  const dir = mkdtempSync(join(tmpdir(), 'troupe-fuzz-test-'));
  let signers: KeyObject[] = [];
  beforeAll(() => {
    // The signature regression comes from seed 2's corpus: its CAs' keys check it (for other seeds they just fail).
    signers = buildCorpus(2).cas.map((ca) => ca.publicKey);
  });
  afterAll(() => {
    batch.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(REGRESSIONS.map((r) => [r.label, r] as const))('regression: %s', (_label, r) => {
    const der = Buffer.from(r.input, 'base64');
    const found: Array<Omit<Disagreement, 'input' | 'kind'>> = [];
    if (r.kind === 'certificate') {
      for (const signerPublicKey of signers) {
        const verdict = checkCertificate({ der, signerPublicKey, checkRejected: false });
        if (verdict.troupe === 'accept' && verdict.disagreement) found.push(verdict.disagreement);
        if (verdict.troupe === 'accept' && verdict.pending) found.push(...checkPrintedCertificates(batch, [verdict.pending]));
      }
    } else if (r.kind === 'crl') {
      const crl = troupeCrl(der);
      if (crl) found.push(...checkCrls(batch, [{ der, crl }]));
    } else {
      const csr = troupeCsr(der);
      const d = csr && checkCsr(dir, der, csr);
      if (d) found.push(d);
    }
    expect(found).toEqual([]);
  });

  it('finds no disagreement in a seeded run of 10,000 mutated inputs, and reaches every kind', { timeout: 300_000 }, () => {
    const report = fuzzX509({ seed: 11, cases: 10_000 });
    expect(report.disagreements).toEqual([]);
    expect(report.disagreementCount).toBe(0);
    for (const kind of ['certificate', 'crl', 'csr'] as const) {
      const k = report.kinds[kind];
      expect(k.troupeAccepted).toBeGreaterThan(0);
      expect(k.troupeRejected).toBeGreaterThan(0);
      expect(k.opensslAccepted).toBe(k.opensslChecked);
    }
  });
});
