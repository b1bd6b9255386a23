// `npm run bench -- --only fuzz`: differential fuzzing of troupe's DER/X.509 readers against OpenSSL
// (src/devkit/fuzz/x509.ts), a million mutated certificates, CRLs and requests by default.
import { fuzzX509, type FuzzReport } from '../src/devkit/fuzz/x509.js';

export function fuzzBench(cases: number, seed: number, log: (line: string) => void): FuzzReport {
  const started = performance.now();
  return fuzzX509({
    seed,
    cases,
    onProgress: (done) => {
      if (done % 100_000 === 0) log(`  fuzz: ${done} cases, ${Math.round(done / ((performance.now() - started) / 1000))} cases/s`);
    },
  });
}
