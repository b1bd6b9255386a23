// Keys and per-message signatures, all with Node's native crypto.
// RSA keys sign with RSASSA-PKCS1-v1_5 over SHA-256 (what a Puppet CA issues); Ed25519 keys sign the message itself.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { WeakCryptoError } from './x509-read.js';

export type KeyType = 'rsa' | 'ed25519';

export const KEY_TYPES: readonly KeyType[] = ['rsa', 'ed25519'];

/** PKCS#8 DER of an Ed25519 key is this fixed header followed by the 32-byte seed. */
const ED25519_PKCS8_HEADER = Buffer.from('302e020100300506032b657004220420', 'hex');
/** SubjectPublicKeyInfo DER of an Ed25519 key: this header, then the 32-byte key. */
const ED25519_SPKI_HEADER = Buffer.from('302a300506032b6570032100', 'hex');

export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/**
 * A new key pair. The keys are generated encoded and imported again on purpose: Node 20 can deadlock when a
 * key object straight from generateKeyPairSync is exported while a garbage collection frees the generating job
 * (seen when making thousands of keys); imported keys do not have that job.
 */
export function generateKeyPair(type: KeyType): KeyPair {
  const publicKeyEncoding = { type: 'spki', format: 'der' } as const;
  const privateKeyEncoding = { type: 'pkcs8', format: 'der' } as const;
  const { publicKey, privateKey } =
    type === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding, privateKeyEncoding })
      : generateKeyPairSync('ed25519', { publicKeyEncoding, privateKeyEncoding });
  const pub = publicKeyFromSpki(publicKey);
  return { publicKey: pub, privateKey: privateKeyFromPkcs8(privateKey, pub) };
}

/** Ed25519 keys are imported from their raw bytes (JWK), ten times cheaper than decoding DER with OpenSSL 3. */
function publicKeyFromSpki(spki: Buffer): KeyObject {
  if (spki.length === 44 && spki.subarray(0, 12).equals(ED25519_SPKI_HEADER)) {
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: spki.subarray(12).toString('base64url') }, format: 'jwk' });
  }
  return createPublicKey({ key: spki, format: 'der', type: 'spki' });
}

function privateKeyFromPkcs8(der: Buffer, publicKey?: KeyObject): KeyObject {
  if (publicKey?.asymmetricKeyType === 'ed25519' && der.length === 48 && der.subarray(0, 16).equals(ED25519_PKCS8_HEADER)) {
    const { x } = publicKey.export({ format: 'jwk' });
    return createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: der.subarray(16).toString('base64url'), x: x! }, format: 'jwk' });
  }
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}

export function privateKeyToPem(key: KeyObject): string {
  if (key.asymmetricKeyType === 'ed25519') {
    // Same bytes as export({type: 'pkcs8'}), without OpenSSL 3's slow encoder.
    const der = Buffer.concat([ED25519_PKCS8_HEADER, Buffer.from(key.export({ format: 'jwk' }).d!, 'base64url')]);
    return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64')}\n-----END PRIVATE KEY-----\n`;
  }
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/**
 * Reads PKCS#8 or PKCS#1 (Puppet's `BEGIN RSA PRIVATE KEY`) PEM. Given the matching public key, an Ed25519
 * key is imported from its raw seed, ten times cheaper than decoding PKCS#8 (the simulator loads thousands).
 */
export function privateKeyFromPem(pem: string, publicKey?: KeyObject): KeyObject {
  const pkcs8 = /-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\s]+)-----END PRIVATE KEY-----/.exec(pem)?.[1];
  if (publicKey?.asymmetricKeyType === 'ed25519' && pkcs8)
    return privateKeyFromPkcs8(Buffer.from(pkcs8.replace(/\s+/g, ''), 'base64'), publicKey);
  return createPrivateKey({ key: pem, format: 'pem' });
}

export function publicKeyOf(privateKey: KeyObject): KeyObject {
  return createPublicKey(privateKey);
}

/** SubjectPublicKeyInfo DER: how certificates and requests carry a public key. */
export function spkiDer(publicKey: KeyObject): Buffer {
  if (publicKey.asymmetricKeyType === 'ed25519') {
    return Buffer.concat([ED25519_SPKI_HEADER, Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url')]);
  }
  return publicKey.export({ type: 'spki', format: 'der' });
}

export function keyTypeOf(key: KeyObject): KeyType {
  if (key.asymmetricKeyType === 'rsa') return 'rsa';
  if (key.asymmetricKeyType === 'ed25519') return 'ed25519';
  throw new WeakCryptoError('weak_key', `unsupported key type ${key.asymmetricKeyType ?? 'unknown'} (use RSA or Ed25519)`);
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
  return publicKey.equals(publicKeyOf(privateKey));
}

/** SHA-256 of DER bytes as colon-separated upper-case hex, the way Puppet prints fingerprints. */
export function fingerprint(der: Uint8Array): string {
  return createHash('sha256')
    .update(der)
    .digest('hex')
    .toUpperCase()
    .replace(/(..)(?!$)/g, '$1:');
}
