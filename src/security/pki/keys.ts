// Keys and per-message signatures, all with Node's native crypto.
// RSA keys sign with RSASSA-PKCS1-v1_5 over SHA-256 (what a Puppet CA issues); Ed25519 keys sign the message itself.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';

export type KeyType = 'rsa' | 'ed25519';

export const KEY_TYPES: readonly KeyType[] = ['rsa', 'ed25519'];

export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export function generateKeyPair(type: KeyType): KeyPair {
  return type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ed25519');
}

export function privateKeyToPem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** Reads PKCS#8 or PKCS#1 (Puppet's `BEGIN RSA PRIVATE KEY`) PEM. */
export function privateKeyFromPem(pem: string): KeyObject {
  return createPrivateKey({ key: pem, format: 'pem' });
}

export function publicKeyOf(privateKey: KeyObject): KeyObject {
  return createPublicKey(privateKey);
}

/** SubjectPublicKeyInfo DER: how certificates and requests carry a public key. */
export function spkiDer(publicKey: KeyObject): Buffer {
  return publicKey.export({ type: 'spki', format: 'der' });
}

export function keyTypeOf(key: KeyObject): KeyType {
  if (key.asymmetricKeyType === 'rsa') return 'rsa';
  if (key.asymmetricKeyType === 'ed25519') return 'ed25519';
  throw new Error(`unsupported key type ${key.asymmetricKeyType ?? 'unknown'} (use RSA or Ed25519)`);
}

/** The digest Node's sign()/verify() need for this key: SHA-256 for RSA, none for Ed25519. */
function digestFor(key: KeyObject): string | null {
  return key.asymmetricKeyType === 'ed25519' ? null : 'sha256';
}

export function signBytes(data: Uint8Array, privateKey: KeyObject): Buffer {
  return sign(digestFor(privateKey), data, privateKey);
}

export function verifyBytes(data: Uint8Array, publicKey: KeyObject, signature: Uint8Array): boolean {
  try {
    return verify(digestFor(publicKey), data, publicKey, signature);
  } catch {
    return false;
  }
}

/** True when the two keys are halves of one pair. */
export function keysMatch(privateKey: KeyObject, publicKey: KeyObject): boolean {
  return spkiDer(publicKeyOf(privateKey)).equals(spkiDer(publicKey));
}

/** SHA-256 of DER bytes as colon-separated upper-case hex, the way Puppet prints fingerprints. */
export function fingerprint(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex').toUpperCase().replace(/(..)(?!$)/g, '$1:');
}
