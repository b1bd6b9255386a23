import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CrlRefresher } from '../../../src/security/trust/crl-refresher.js';
import { TrustStore } from '../../../src/security/trust/trust-store.js';
import { testCa } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'troupe-crl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function logger() {
  const lines: string[] = [];
  const push = (_: object, msg: string) => lines.push(msg);
  return { lines, log: { info: push, warn: push, error: push } };
}

describe('CrlRefresher', () => {
  const ca = testCa();
  const leaf = ca.issue('x.troupe', { serial: '42' });

  it('re-reads the CRL file when it changes and ignores a forged one', async () => {
    const file = join(dir, 'file.pem');
    writeFileSync(file, ca.crl([]));
    const trust = new TrustStore({ caPem: ca.pem, maxCertificateSize: 8192 });
    const { log, lines } = logger();
    const r = new CrlRefresher(trust, { file, intervalMs: 60_000, log });
    expect(r.loadFile()).toBe(true);
    expect(() => trust.verify(leaf.certificatePem)).not.toThrow();
    writeFileSync(file, testCa('Forger').crl([{ serial: '42', revokedAt: new Date() }]));
    await r.refresh();
    expect(() => trust.verify(leaf.certificatePem)).not.toThrow();
    expect(lines.some((l) => l.includes('does not verify'))).toBe(true);
    writeFileSync(file, ca.crl([{ serial: '42', revokedAt: new Date() }]) + '\n');
    await r.refresh();
    expect(() => trust.verify(leaf.certificatePem)).toThrow(/revoked/);
  });

  it('downloads from the CA service into the file, and keeps the last CRL (warning once) while it is down', async () => {
    const file = join(dir, 'download.pem');
    writeFileSync(file, ca.crl([]));
    const trust = new TrustStore({ caPem: ca.pem, maxCertificateSize: 8192 });
    const { log, lines } = logger();
    let serving: string | undefined = ca.crl([{ serial: '42', revokedAt: new Date() }]);
    const r = new CrlRefresher(trust, {
      file,
      intervalMs: 60_000,
      log,
      download: async () => {
        if (serving === undefined) throw new Error('connection refused');
        return serving;
      },
    });
    r.loadFile();
    await r.refresh();
    expect(() => trust.verify(leaf.certificatePem)).toThrow(/revoked/);
    expect(readFileSync(file, 'utf8')).toBe(serving);
    serving = undefined;
    await r.refresh();
    await r.refresh();
    expect(() => trust.verify(leaf.certificatePem)).toThrow(/revoked/);
    expect(lines.filter((l) => l.startsWith('cannot fetch the CRL'))).toHaveLength(1);
    serving = ca.crl([]);
    await r.refresh();
    expect(() => trust.verify(leaf.certificatePem)).not.toThrow();
    expect(lines).toContain('CA service reachable again');
  });
});
