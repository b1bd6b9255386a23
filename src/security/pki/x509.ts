// Creating certificates, certificate signing requests and revocation lists, with node-forge's ASN.1 and
// extension encoders; signatures come from Node's crypto, so RSA and Ed25519 keys both work as subjects
// and as issuers (forge's own signing is RSA-only). Reading lives in x509-read.ts, which needs no forge.
import { randomBytes, sign, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { keyTypeOf, signBytes, spkiDer, publicKeyOf } from './keys.js';
import { singlePem, toPem } from './pem.js';
import {
  BROKER_ROLE,
  keyIdentifier,
  normaliseSerial,
  OID,
  OPERATOR_ROLE,
  OPERATOR_ROLE_OID,
  tbsFields,
  WeakCryptoError,
} from './x509-read.js';

const { asn1, pki } = forge;
const U = asn1.Class.UNIVERSAL;
const T = asn1.Type;

/**
 * What a certificate is for. `client` is an operator: the only profile nodes take requests from, marked with
 * the operator role below; `node` certificates serve and connect to the broker but may not send requests.
 * `broker` certificates serve clients and dial other brokers (routes, gateways, leafnodes), marked with the broker role.
 */
export type CertificateProfile = 'ca' | 'node' | 'client' | 'server' | 'broker';

export interface IssueRequest {
  commonName: string;
  publicKey: KeyObject;
  profile: CertificateProfile;
  notBefore: Date;
  notAfter: Date;
  /** DNS names or IP addresses for the subjectAltName extension. */
  altNames?: readonly string[];
  /** Hex; random when omitted. */
  serial?: string;
}

/** Who signs: the CA's certificate (PEM) and key. */
export interface Issuer {
  certificatePem: string;
  privateKey: KeyObject;
}

export interface CrlEntry {
  serial: string;
  revokedAt: Date;
}

const binary = (bytes: Uint8Array): string => Buffer.from(bytes).toString('binary');
const fromBinary = (s: string): Buffer => Buffer.from(s, 'binary');
const toDer = (node: forge.asn1.Asn1): Buffer => fromBinary(asn1.toDer(node).getBytes());
const parseDer = (bytes: Uint8Array): forge.asn1.Asn1 => asn1.fromDer(binary(bytes));

/** A random positive 128-bit serial number, as hex. */
export function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x10;
  return bytes.toString('hex');
}

function time(date: Date): forge.asn1.Asn1 {
  const whole = new Date(Math.floor(date.getTime() / 1000) * 1000);
  return date.getUTCFullYear() >= 2050
    ? asn1.create(U, T.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(whole))
    : asn1.create(U, T.UTCTIME, false, asn1.dateToUtcTime(whole));
}

/** ECDSA signature algorithms by curve: the digest matches the curve's strength. */
const ECDSA: Record<string, { oid: string; digest: string }> = {
  prime256v1: { oid: '1.2.840.10045.4.3.2', digest: 'sha256' },
  secp384r1: { oid: '1.2.840.10045.4.3.3', digest: 'sha384' },
};

function ecdsaFor(signer: KeyObject): { oid: string; digest: string } {
  const alg = ECDSA[signer.asymmetricKeyDetails?.namedCurve ?? ''];
  const curve = signer.asymmetricKeyDetails?.namedCurve ?? 'an unnamed curve';
  if (!alg) throw new WeakCryptoError('weak_key', `EC keys must use P-256 or P-384, not ${curve}`);
  return alg;
}

function algorithmFor(signer: KeyObject): forge.asn1.Asn1 {
  const oid = (o: string) => asn1.create(U, T.OID, false, asn1.oidToDer(o).getBytes());
  if (signer.asymmetricKeyType === 'ec') return asn1.create(U, T.SEQUENCE, true, [oid(ecdsaFor(signer).oid)]);
  if (keyTypeOf(signer) === 'ed25519') return asn1.create(U, T.SEQUENCE, true, [oid(OID.ed25519)]);
  return asn1.create(U, T.SEQUENCE, true, [oid(OID.sha256WithRSA), asn1.create(U, T.NULL, false, '')]);
}

/** A signature over `data` under algorithmFor(signer). */
function signWith(data: Uint8Array, signer: KeyObject): Buffer {
  return signer.asymmetricKeyType === 'ec' ? sign(ecdsaFor(signer).digest, data, signer) : signBytes(data, signer);
}

function nameWithCommonName(commonName: string): forge.asn1.Asn1 {
  return pki.distinguishedNameToAsn1({
    attributes: [{ type: OID.commonName, value: commonName, valueTagClass: T.UTF8 } as unknown as forge.pki.CertificateField],
  });
}

/** Signs `body` and wraps it the way every X.509 signed structure is wrapped. */
function signStructure(body: forge.asn1.Asn1, signer: KeyObject): Buffer {
  const algorithm = algorithmFor(signer);
  const signature = signWith(toDer(body), signer);
  return toDer(asn1.create(U, T.SEQUENCE, true, [body, algorithm, asn1.create(U, T.BITSTRING, false, '\x00' + binary(signature))]));
}

function extensionsFor(req: IssueRequest, issuerKeyId: Buffer): forge.asn1.Asn1 {
  const rsa = req.publicKey.asymmetricKeyType === 'rsa';
  const exts: unknown[] = [];
  if (req.profile === 'ca') {
    exts.push({ name: 'basicConstraints', cA: true, critical: true });
    exts.push({ name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true });
  } else {
    exts.push({ name: 'basicConstraints', cA: false, critical: true });
    exts.push({ name: 'keyUsage', digitalSignature: true, keyEncipherment: rsa, critical: true });
    exts.push({
      name: 'extKeyUsage',
      serverAuth: req.profile === 'node' || req.profile === 'server' || req.profile === 'broker',
      clientAuth: req.profile === 'node' || req.profile === 'client' || req.profile === 'broker',
    });
  }
  const role = req.profile === 'client' ? OPERATOR_ROLE : req.profile === 'broker' ? BROKER_ROLE : undefined;
  if (role) exts.push({ id: OPERATOR_ROLE_OID, critical: false, value: asn1.create(U, T.UTF8, false, forge.util.encodeUtf8(role)) });
  if (req.altNames?.length) {
    exts.push({
      name: 'subjectAltName',
      altNames: req.altNames.map((n) => (/^[\d.]+$|:/.test(n) ? { type: 7, ip: n } : { type: 2, value: n })),
    });
  }
  const ski = keyIdentifier(spkiDer(req.publicKey));
  exts.push({ name: 'subjectKeyIdentifier', value: asn1.create(U, T.OCTETSTRING, false, binary(ski)) });
  exts.push({ name: 'authorityKeyIdentifier', keyIdentifier: binary(issuerKeyId) });
  // forge fills in each extension's encoding; a throwaway certificate object holds them while it does.
  const holder = pki.createCertificate();
  holder.setExtensions(exts as never[]);
  return (pki as unknown as { certificateExtensionsToAsn1(e: unknown[]): forge.asn1.Asn1 }).certificateExtensionsToAsn1(holder.extensions);
}

function buildCertificate(req: IssueRequest, signingKey: KeyObject, issuerName: forge.asn1.Asn1, issuerKeyId: Buffer): string {
  const tbs = asn1.create(U, T.SEQUENCE, true, [
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [asn1.create(U, T.INTEGER, false, asn1.integerToDer(2).getBytes())]),
    asn1.create(U, T.INTEGER, false, forge.util.hexToBytes(evenHex(req.serial ?? randomSerial()))),
    algorithmFor(signingKey),
    issuerName,
    asn1.create(U, T.SEQUENCE, true, [time(req.notBefore), time(req.notAfter)]),
    nameWithCommonName(req.commonName),
    parseDer(spkiDer(req.publicKey)),
    extensionsFor(req, issuerKeyId),
  ]);
  return toPem(signStructure(tbs, signingKey), 'CERTIFICATE');
}

/** Issues a certificate signed by `issuer`; returns PEM. */
export function issueCertificate(req: IssueRequest, issuer: Issuer): string {
  const issuerDer = singlePem(issuer.certificatePem, 'CERTIFICATE', 'issuer certificate');
  const { subject, spki } = tbsFields(issuerDer);
  return buildCertificate(req, issuer.privateKey, parseDer(subject), keyIdentifier(spki));
}

/** A self-signed CA certificate for `key`; returns PEM. */
export function selfSignedCa(
  commonName: string,
  key: { privateKey: KeyObject; publicKey: KeyObject },
  notBefore: Date,
  notAfter: Date,
): string {
  const req: IssueRequest = { commonName, publicKey: key.publicKey, profile: 'ca', notBefore, notAfter };
  return buildCertificate(req, key.privateKey, nameWithCommonName(commonName), keyIdentifier(spkiDer(key.publicKey)));
}

/** A PKCS#10 certificate signing request for `commonName`, signed by `privateKey`; returns PEM. */
export function buildCsr(commonName: string, privateKey: KeyObject): string {
  const info = asn1.create(U, T.SEQUENCE, true, [
    asn1.create(U, T.INTEGER, false, asn1.integerToDer(0).getBytes()),
    nameWithCommonName(commonName),
    parseDer(spkiDer(publicKeyOf(privateKey))),
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, []),
  ]);
  return toPem(signStructure(info, privateKey), 'CERTIFICATE REQUEST');
}

/** A version 2 CRL listing `entries`, signed by the CA; returns PEM. */
export function buildCrl(issuer: Issuer, entries: readonly CrlEntry[], crlNumber: number, thisUpdate: Date, nextUpdate: Date): string {
  const caDer = singlePem(issuer.certificatePem, 'CERTIFICATE', 'CA certificate');
  const { subject, spki } = tbsFields(caDer);
  const fields: forge.asn1.Asn1[] = [
    asn1.create(U, T.INTEGER, false, asn1.integerToDer(1).getBytes()),
    algorithmFor(issuer.privateKey),
    parseDer(subject),
    time(thisUpdate),
    time(nextUpdate),
  ];
  if (entries.length > 0) {
    fields.push(
      asn1.create(
        U,
        T.SEQUENCE,
        true,
        entries.map((e) =>
          asn1.create(U, T.SEQUENCE, true, [asn1.create(U, T.INTEGER, false, forge.util.hexToBytes(evenHex(e.serial))), time(e.revokedAt)]),
        ),
      ),
    );
  }
  const extension = (oid: string, value: forge.asn1.Asn1) =>
    asn1.create(U, T.SEQUENCE, true, [
      asn1.create(U, T.OID, false, asn1.oidToDer(oid).getBytes()),
      asn1.create(U, T.OCTETSTRING, false, asn1.toDer(value).getBytes()),
    ]);
  fields.push(
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [
      asn1.create(U, T.SEQUENCE, true, [
        extension(OID.crlNumber, asn1.create(U, T.INTEGER, false, asn1.integerToDer(crlNumber).getBytes())),
        extension(
          OID.authorityKeyIdentifier,
          asn1.create(U, T.SEQUENCE, true, [asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, false, binary(keyIdentifier(spki)))]),
        ),
      ]),
    ]),
  );
  return toPem(signStructure(asn1.create(U, T.SEQUENCE, true, fields), issuer.privateKey), 'X509 CRL');
}

/** A positive INTEGER's content bytes from hex. */
function evenHex(hex: string): string {
  let h = normaliseSerial(hex);
  if (h.length % 2) h = '0' + h;
  if (parseInt(h.slice(0, 2), 16) >= 0x80) h = '00' + h;
  return h;
}
