// Writes issued credentials as a Puppet-style ssldir, which is what `plugin.security.ssldir` reads.
import { join } from 'node:path';
import { ensureDir, PRIVATE_DIR, PRIVATE_FILE, PUBLIC_DIR, PUBLIC_FILE, writeFileAtomic } from './files.js';

export function writeSsldir(
  dest: string,
  name: string,
  issued: { keyPem: string; certificatePem: string },
  caPem: string,
  crlPem: string,
): void {
  ensureDir(dest, PUBLIC_DIR);
  ensureDir(join(dest, 'certs'), PUBLIC_DIR);
  ensureDir(join(dest, 'private_keys'), PRIVATE_DIR);
  writeFileAtomic(join(dest, 'private_keys', `${name}.pem`), issued.keyPem, PRIVATE_FILE);
  writeFileAtomic(join(dest, 'certs', `${name}.pem`), issued.certificatePem, PUBLIC_FILE);
  writeFileAtomic(join(dest, 'certs', 'ca.pem'), caPem, PUBLIC_FILE);
  writeFileAtomic(join(dest, 'crl.pem'), crlPem, PUBLIC_FILE);
}
