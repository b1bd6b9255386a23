// The seed corpus of the X.509 fuzzer: valid, signed DER certificates, CRLs and certificate requests, made
// here with node-forge's ASN.1 encoder so that they cover what troupe's own issuer never writes (every SAN
// kind, multi-valued RDNs, several CNs, BMPString and T61String names, GeneralizedTime, unknown critical
// extensions, version 1 certificates and CRLs...). Keys are derived from the seed, so a seed always gives
// the same corpus, byte for byte.
import { createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { Random } from './random.js';

const { asn1 } = forge;
const U = asn1.Class.UNIVERSAL;
const CTX = asn1.Class.CONTEXT_SPECIFIC;
const T = asn1.Type;
type Asn1 = forge.asn1.Asn1;

export type SeedKind = 'certificate' | 'crl' | 'csr';

export interface Seed {
  kind: SeedKind;
  /** What the seed exercises, for reports. */
  label: string;
  der: Uint8Array;
  /** The key that signed it: the issuing CA's for certificates and CRLs, the subject's own for requests. */
  signerPublicKey: KeyObject;
  /** For requests: the private key, to sign a mutated body again. */
  signerPrivateKey?: KeyObject;
}

export interface Corpus {
  seeds: Seed[];
  /** The CA certificates (RSA and Ed25519) that issued the certificates and CRLs. */
  cas: { der: Uint8Array; publicKey: KeyObject }[];
}

export const OIDS = {
  cn: '2.5.4.3',
  surname: '2.5.4.4',
  serialNumber: '2.5.4.5',
  c: '2.5.4.6',
  l: '2.5.4.7',
  st: '2.5.4.8',
  o: '2.5.4.10',
  ou: '2.5.4.11',
  email: '1.2.840.113549.1.9.1',
  dc: '0.9.2342.19200300.100.1.25',
  uid: '0.9.2342.19200300.100.1.1',
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  sha512WithRSA: '1.2.840.113549.1.1.13',
  ed25519: '1.3.101.112',
  ecdsaSha256: '1.2.840.10045.4.3.2',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  issuerAltName: '2.5.29.18',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  crlNumber: '2.5.29.20',
  crlReason: '2.5.29.21',
  invalidityDate: '2.5.29.24',
  issuingDistributionPoint: '2.5.29.28',
  deltaCrlIndicator: '2.5.29.27',
  certificatePolicies: '2.5.29.32',
  nameConstraints: '2.5.29.30',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  anyExtendedKeyUsage: '2.5.29.37.0',
  extensionRequest: '1.2.840.113549.1.9.14',
  challengePassword: '1.2.840.113549.1.9.7',
  puppetPpUuid: '1.3.6.1.4.1.34380.1.1.1',
  unknown: '1.3.6.1.4.1.55555.7.1',
} as const;

const binary = (bytes: Uint8Array): string => Buffer.from(bytes).toString('binary');
export const encode = (node: Asn1): Buffer => Buffer.from(asn1.toDer(node).getBytes(), 'binary');
const seq = (...items: Asn1[]): Asn1 => asn1.create(U, T.SEQUENCE, true, items);
const set = (...items: Asn1[]): Asn1 => asn1.create(U, T.SET, true, items);
const oid = (dotted: string): Asn1 => asn1.create(U, T.OID, false, asn1.oidToDer(dotted).getBytes());
const integer = (hex: string): Asn1 => asn1.create(U, T.INTEGER, false, forge.util.hexToBytes(hex));
const smallInt = (n: number): Asn1 => asn1.create(U, T.INTEGER, false, asn1.integerToDer(n).getBytes());
const bool = (v: boolean): Asn1 => asn1.create(U, T.BOOLEAN, false, v ? '\xff' : '\x00');
const octets = (bytes: Uint8Array): Asn1 => asn1.create(U, T.OCTETSTRING, false, binary(bytes));
const bits = (bytes: Uint8Array, unused = 0): Asn1 => asn1.create(U, T.BITSTRING, false, String.fromCharCode(unused) + binary(bytes));
const nul = (): Asn1 => asn1.create(U, T.NULL, false, '');
const ctx = (n: number, constructed: boolean, value: Asn1[] | string): Asn1 => asn1.create(CTX, n, constructed, value);
const fromDer = (der: Uint8Array): Asn1 => asn1.fromDer(binary(der));

/** A string value of a name attribute, in the given universal string type. */
function text(tag: number, value: string): Asn1 {
  let bytes: Buffer;
  if (tag === 0x1e) bytes = Buffer.from(value, 'utf16le').swap16();
  else if (tag === 0x1c)
    bytes = Buffer.from(
      [...value].flatMap((ch) => {
        const c = ch.codePointAt(0)!;
        return [c >>> 24, (c >>> 16) & 255, (c >>> 8) & 255, c & 255];
      }),
    );
  else if (tag === 0x14) bytes = Buffer.from(value, 'latin1');
  else bytes = Buffer.from(value, 'utf8');
  return asn1.create(U, tag, false, binary(bytes));
}

const UTF8 = 0x0c;
const PRINTABLE = 0x13;
const IA5 = 0x16;
const T61 = 0x14;
const BMP = 0x1e;
const UNIVERSAL = 0x1c;

type Attr = [oid: string, tag: number, value: string];
/** A Name: a list of RDNs, each a list of attributes (more than one makes a multi-valued RDN). */
function name(rdns: Attr[][]): Asn1 {
  return seq(...rdns.map((rdn) => set(...rdn.map(([o, tag, value]) => seq(oid(o), text(tag, value))))));
}
const cnName = (cn: string): Asn1 => name([[[OIDS.cn, UTF8, cn]]]);

function utcTime(date: Date): Asn1 {
  return asn1.create(U, T.UTCTIME, false, asn1.dateToUtcTime(date));
}
function generalizedTime(date: Date): Asn1 {
  return asn1.create(U, T.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(date));
}

function extension(o: string, critical: boolean, value: Asn1 | Uint8Array): Asn1 {
  const bytes = value instanceof Uint8Array ? value : encode(value);
  return seq(oid(o), ...(critical ? [bool(true)] : []), octets(bytes));
}

/** keyUsage as a DER BIT STRING: bit 0 is digitalSignature, the most significant bit of the first byte. */
function keyUsageBits(bitNumbers: number[]): Asn1 {
  if (bitNumbers.length === 0) return bits(new Uint8Array(0));
  const top = Math.max(...bitNumbers);
  const bytes = new Uint8Array(Math.floor(top / 8) + 1);
  for (const b of bitNumbers) bytes[b >> 3]! |= 0x80 >> (b & 7);
  const last = bytes[bytes.length - 1]!;
  let unused = 0;
  while (unused < 7 && !(last & (1 << unused))) unused++;
  return bits(bytes, unused);
}

type GeneralName = Asn1;
const dns = (v: string): GeneralName => ctx(2, false, v);
const email = (v: string): GeneralName => ctx(1, false, v);
const uri = (v: string): GeneralName => ctx(6, false, v);
const ip = (bytes: number[]): GeneralName => ctx(7, false, String.fromCharCode(...bytes));
const dirName = (n: Asn1): GeneralName => ctx(4, true, [n]);
const registeredId = (o: string): GeneralName => ctx(8, false, asn1.oidToDer(o).getBytes());
const otherName = (o: string, value: string): GeneralName => ctx(0, true, [oid(o), ctx(0, true, [text(UTF8, value)])]);

interface Keys {
  rsaCa: KeyPairObjects;
  edCa: KeyPairObjects;
  rsaLeaf: KeyPairObjects;
  edLeaf: KeyPairObjects;
  edLeaf2: KeyPairObjects;
}
interface KeyPairObjects {
  privateKey: KeyObject;
  publicKey: KeyObject;
  spki: Buffer;
}

const ED25519_PKCS8_HEADER = Buffer.from('302e020100300506032b657004220420', 'hex');

function ed25519From(random: Random): KeyPairObjects {
  const privateKey = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_HEADER, random.bytes(32)]), format: 'der', type: 'pkcs8' });
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, spki: publicKey.export({ type: 'spki', format: 'der' }) };
}

/** RSA keys from a seeded generator (node-forge's, synchronous): the same seed always gives the same key. */
function rsaFrom(random: Random, bitsLength: number): KeyPairObjects {
  const prng = forge.random.createInstance();
  prng.seedFileSync = (n: number) => binary(random.bytes(n));
  const pair = forge.pki.rsa.generateKeyPair({ bits: bitsLength, e: 0x10001, prng, workers: -1 });
  const privateKey = createPrivateKey(forge.pki.privateKeyToPem(pair.privateKey));
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, spki: publicKey.export({ type: 'spki', format: 'der' }) };
}

function algorithmOf(key: KeyObject): Asn1 {
  return key.asymmetricKeyType === 'ed25519' ? seq(oid(OIDS.ed25519)) : seq(oid(OIDS.sha256WithRSA), nul());
}

function signed(body: Asn1, signer: KeyObject): Buffer {
  const bodyDer = encode(body);
  const signature = sign(signer.asymmetricKeyType === 'ed25519' ? null : 'sha256', bodyDer, signer);
  return encode(seq(fromDer(bodyDer), algorithmOf(signer), bits(signature)));
}

const keyId = (spki: Buffer): Buffer => Buffer.from(forge.md.sha1.create().update(binary(spki)).digest().getBytes(), 'binary');

interface CertSpec {
  label: string;
  subjectKey: KeyPairObjects;
  issuer: 'rsa' | 'ed25519';
  subject: Asn1;
  serial?: string;
  version?: 1 | 2 | 3;
  notBefore?: Asn1;
  notAfter?: Asn1;
  extensions?: Asn1[];
  /** Issuer and subject unique identifiers (version 2 and 3 only). */
  uniqueIds?: boolean;
}

const START = new Date(Date.UTC(2025, 0, 2, 3, 4, 5));
const END = new Date(Date.UTC(2035, 5, 6, 7, 8, 9));
const FAR = new Date(Date.UTC(2061, 11, 31, 23, 59, 59));
const OLD = new Date(Date.UTC(1949, 11, 31, 23, 59, 58));

const CA_NAMES = { rsa: 'Fuzz RSA CA', ed25519: 'Fuzz Ed25519 CA' } as const;

export function buildCorpus(seed: number): Corpus {
  const random = new Random(seed ^ 0x5eed);
  const keys: Keys = {
    rsaCa: rsaFrom(random, 2048),
    edCa: ed25519From(random),
    rsaLeaf: rsaFrom(random, 1024),
    edLeaf: ed25519From(random),
    edLeaf2: ed25519From(random),
  };
  const caKey = (which: 'rsa' | 'ed25519') => (which === 'rsa' ? keys.rsaCa : keys.edCa);
  const seeds: Seed[] = [];
  let serialCounter = 0x1000;

  const certificate = (spec: CertSpec): Buffer => {
    const issuerKey = caKey(spec.issuer);
    const version = spec.version ?? 3;
    const fields: Asn1[] = [];
    if (version > 1) fields.push(ctx(0, true, [smallInt(version - 1)]));
    fields.push(integer(spec.serial ?? (serialCounter++).toString(16).padStart(6, '0')));
    fields.push(algorithmOf(issuerKey.privateKey));
    fields.push(cnName(CA_NAMES[spec.issuer]));
    fields.push(seq(spec.notBefore ?? utcTime(START), spec.notAfter ?? utcTime(END)));
    fields.push(spec.subject);
    fields.push(fromDer(spec.subjectKey.spki));
    if (spec.uniqueIds) fields.push(ctx(1, false, '\x00\x01\x02'), ctx(2, false, '\x04\xa0'));
    if (version === 3) {
      const exts = spec.extensions ?? [];
      const all = [
        ...exts,
        extension(OIDS.subjectKeyIdentifier, false, octets(keyId(spec.subjectKey.spki))),
        extension(OIDS.authorityKeyIdentifier, false, seq(ctx(0, false, binary(keyId(issuerKey.spki))))),
      ];
      fields.push(ctx(3, true, [seq(...all)]));
    }
    return signed(seq(...fields), issuerKey.privateKey);
  };
  const addCert = (spec: CertSpec) =>
    seeds.push({ kind: 'certificate', label: spec.label, der: certificate(spec), signerPublicKey: caKey(spec.issuer).publicKey });

  // The two CAs, self-signed.
  const cas = (['rsa', 'ed25519'] as const).map((which) => {
    const der = certificate({
      label: `${which} CA`,
      subjectKey: caKey(which),
      issuer: which,
      subject: cnName(CA_NAMES[which]),
      notAfter: generalizedTime(FAR),
      extensions: [
        extension(OIDS.basicConstraints, true, seq(bool(true), ...(which === 'rsa' ? [smallInt(0)] : []))),
        extension(OIDS.keyUsage, true, keyUsageBits([0, 5, 6])),
      ],
    });
    seeds.push({ kind: 'certificate', label: `${which} CA`, der, signerPublicKey: caKey(which).publicKey });
    return { der, publicKey: caKey(which).publicKey };
  });

  const nodeExts = (rsa: boolean): Asn1[] => [
    extension(OIDS.basicConstraints, true, seq()),
    extension(OIDS.keyUsage, true, keyUsageBits(rsa ? [0, 2] : [0])),
    extension(OIDS.extKeyUsage, false, seq(oid(OIDS.serverAuth), oid(OIDS.clientAuth))),
  ];
  const subjects: Array<[string, Asn1]> = [
    ['plain CN', cnName('node1.example.net')],
    ['long CN', cnName(`${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.example.net`)],
    ['odd CN', cnName(' #a,b+c="d"\\<e>;f\u0001\u007f ')],
    ['UTF-8 CN', cnName('nœud-ü.例え.example')],
    ['PrintableString CN', name([[[OIDS.cn, PRINTABLE, 'node-2 example']]])],
    ['IA5String CN', name([[[OIDS.cn, IA5, 'node3@example.net']]])],
    ['BMPString CN', name([[[OIDS.cn, BMP, 'bmp-名前.example']]])],
    ['UniversalString CN', name([[[OIDS.cn, UNIVERSAL, 'univ-𝄞.example']]])],
    ['T61String CN', name([[[OIDS.cn, T61, 'teletex-\u00e9\u00e8']]])],
    [
      'multi-valued RDN',
      name([
        [
          [OIDS.o, UTF8, 'Acme'],
          [OIDS.cn, UTF8, 'mv.example.net'],
        ],
        [[OIDS.ou, UTF8, 'Ops']],
      ]),
    ],
    [
      'several CNs',
      name([[[OIDS.cn, UTF8, 'first.example.net']], [[OIDS.o, UTF8, 'Acme, Inc.']], [[OIDS.cn, UTF8, 'second.example.net']]]),
    ],
    [
      'full DN',
      name([
        [[OIDS.dc, IA5, 'net']],
        [[OIDS.dc, IA5, 'example']],
        [[OIDS.c, PRINTABLE, 'DE']],
        [[OIDS.st, UTF8, 'Berlin']],
        [[OIDS.l, UTF8, 'Kreuzberg']],
        [[OIDS.o, UTF8, 'Acme+Partners']],
        [[OIDS.ou, UTF8, 'Fleet']],
        [[OIDS.serialNumber, PRINTABLE, '12345']],
        [[OIDS.uid, UTF8, 'ops']],
        [[OIDS.cn, UTF8, 'full.example.net']],
        [[OIDS.email, IA5, 'ops@example.net']],
      ]),
    ],
    ['no CN', name([[[OIDS.o, UTF8, 'Acme']]])],
    ['empty subject', name([])],
  ];
  for (const [i, [label, subject]] of subjects.entries()) {
    const rsa = i % 3 === 0;
    addCert({
      label: `leaf, ${label}`,
      subjectKey: rsa ? keys.rsaLeaf : keys.edLeaf,
      issuer: i % 2 ? 'ed25519' : 'rsa',
      subject,
      extensions: nodeExts(rsa),
    });
  }

  const sanSets: Array<[string, GeneralName[], boolean]> = [
    ['DNS SANs', [dns('a.example.net'), dns('*.b.example.net')], false],
    ['IPv4 SAN', [ip([127, 0, 0, 1])], false],
    ['IPv6 SAN', [ip([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])], false],
    ['email SAN', [email('ops@example.net')], false],
    ['URI SAN', [uri('spiffe://example.net/node/1')], false],
    ['odd SAN values', [dns('a,b.example'), email('"x"@example.net'), uri('https://example.net/a\\b')], false],
    ['dirName SAN', [dirName(cnName('dir.example.net'))], false],
    ['otherName SAN', [otherName('1.3.6.1.4.1.311.20.2.3', 'upn@example.net')], false],
    ['registeredID SAN', [registeredId('1.2.3.4.5')], false],
    [
      'every SAN kind, critical',
      [
        dns('all.example.net'),
        ip([10, 1, 2, 3]),
        email('all@example.net'),
        uri('urn:all'),
        dirName(cnName('all')),
        registeredId('1.2.3'),
        otherName('1.2.3.4', 'x'),
      ],
      true,
    ],
  ];
  for (const [i, [label, names, critical]] of sanSets.entries()) {
    const subject = label.includes('critical') ? name([]) : cnName(`san${i}.example.net`);
    addCert({
      label: `leaf, ${label}`,
      subjectKey: i % 2 ? keys.rsaLeaf : keys.edLeaf2,
      issuer: i % 2 ? 'rsa' : 'ed25519',
      subject,
      extensions: [...nodeExts(i % 2 === 1), extension(OIDS.subjectAltName, critical, seq(...names))],
    });
  }

  const extensionSets: Array<[string, Asn1[]]> = [
    ['no extensions but identifiers', []],
    ['keyUsage without digitalSignature', [extension(OIDS.keyUsage, true, keyUsageBits([2]))]],
    ['keyUsage every bit', [extension(OIDS.keyUsage, true, keyUsageBits([0, 1, 2, 3, 4, 5, 6, 7, 8]))]],
    ['keyUsage empty', [extension(OIDS.keyUsage, false, keyUsageBits([]))]],
    ['clientAuth only', [extension(OIDS.extKeyUsage, false, seq(oid(OIDS.clientAuth)))]],
    ['codeSigning and anyEKU', [extension(OIDS.extKeyUsage, true, seq(oid(OIDS.codeSigning), oid(OIDS.anyExtendedKeyUsage)))]],
    ['basicConstraints CA:FALSE explicit', [extension(OIDS.basicConstraints, false, seq(bool(false)))]],
    ['basicConstraints CA with pathlen, not critical', [extension(OIDS.basicConstraints, false, seq(bool(true), smallInt(3)))]],
    ['unknown critical extension', [...nodeExts(false), extension(OIDS.unknown, true, octets(Buffer.from('x')))]],
    ['unknown non-critical extension', [...nodeExts(false), extension(OIDS.unknown, false, seq(smallInt(1)))]],
    [
      'certificate policies and name constraints, critical',
      [
        extension(OIDS.certificatePolicies, true, seq(seq(oid('2.5.29.32.0')))),
        extension(OIDS.nameConstraints, true, seq(ctx(0, true, [seq(dns('example.net'))]))),
      ],
    ],
    ['Puppet extension', [...nodeExts(false), extension(OIDS.puppetPpUuid, false, text(UTF8, 'ED803750-E3C7-44F5-BB08-41A04433FE2E'))]],
  ];
  for (const [i, [label, extensions]] of extensionSets.entries()) {
    addCert({
      label: `leaf, ${label}`,
      subjectKey: i % 3 === 0 ? keys.rsaLeaf : keys.edLeaf,
      issuer: i % 2 ? 'ed25519' : 'rsa',
      subject: cnName(`ext${i}.example.net`),
      extensions,
    });
  }

  addCert({
    label: 'leaf, GeneralizedTime both',
    subjectKey: keys.edLeaf,
    issuer: 'rsa',
    subject: cnName('gt.example.net'),
    notBefore: generalizedTime(OLD),
    notAfter: generalizedTime(FAR),
    extensions: nodeExts(false),
  });
  addCert({
    label: 'leaf, GeneralizedTime after 2049',
    subjectKey: keys.rsaLeaf,
    issuer: 'ed25519',
    subject: cnName('gt2.example.net'),
    notAfter: generalizedTime(FAR),
    extensions: nodeExts(true),
  });
  addCert({
    label: 'leaf, 20-byte serial',
    subjectKey: keys.edLeaf,
    issuer: 'ed25519',
    subject: cnName('serial.example.net'),
    serial: '7f' + 'a5'.repeat(19),
    extensions: nodeExts(false),
  });
  addCert({
    label: 'leaf, serial with high bit',
    subjectKey: keys.edLeaf,
    issuer: 'rsa',
    subject: cnName('serial2.example.net'),
    serial: '00ff01',
    extensions: nodeExts(false),
  });
  addCert({
    label: 'leaf, serial 0',
    subjectKey: keys.edLeaf2,
    issuer: 'rsa',
    subject: cnName('serial0.example.net'),
    serial: '00',
    extensions: nodeExts(false),
  });
  addCert({ label: 'leaf, version 1', subjectKey: keys.rsaLeaf, issuer: 'rsa', subject: cnName('v1.example.net'), version: 1 });
  addCert({
    label: 'leaf, version 2 with unique ids',
    subjectKey: keys.edLeaf,
    issuer: 'ed25519',
    subject: cnName('v2.example.net'),
    version: 2,
    uniqueIds: true,
  });
  addCert({
    label: 'leaf, unique ids and extensions',
    subjectKey: keys.edLeaf2,
    issuer: 'rsa',
    subject: cnName('uid.example.net'),
    uniqueIds: true,
    extensions: nodeExts(false),
  });

  // CRLs from both CAs.
  const crl = (
    label: string,
    which: 'rsa' | 'ed25519',
    opts: { version?: boolean; entries?: Asn1[]; emptyList?: boolean; nextUpdate?: Asn1 | null; thisUpdate?: Asn1; extensions?: Asn1[] },
  ) => {
    const issuerKey = caKey(which);
    const fields: Asn1[] = [];
    if (opts.version !== false) fields.push(smallInt(1));
    fields.push(algorithmOf(issuerKey.privateKey), cnName(CA_NAMES[which]), opts.thisUpdate ?? utcTime(START));
    if (opts.nextUpdate !== null) fields.push(opts.nextUpdate ?? utcTime(END));
    if (opts.entries?.length || opts.emptyList) fields.push(seq(...(opts.entries ?? [])));
    if (opts.extensions?.length) fields.push(ctx(0, true, [seq(...opts.extensions)]));
    seeds.push({ kind: 'crl', label, der: signed(seq(...fields), issuerKey.privateKey), signerPublicKey: issuerKey.publicKey });
  };
  const entry = (serial: string, date: Date = START, extensions?: Asn1[]): Asn1 =>
    seq(integer(serial), utcTime(date), ...(extensions ? [seq(...extensions)] : []));
  const crlExts = (which: 'rsa' | 'ed25519', n: number): Asn1[] => [
    extension(OIDS.crlNumber, false, smallInt(n)),
    extension(OIDS.authorityKeyIdentifier, false, seq(ctx(0, false, binary(keyId(caKey(which).spki))))),
  ];
  for (const which of ['rsa', 'ed25519'] as const) {
    crl(`${which} CRL, empty`, which, { extensions: crlExts(which, 1) });
    crl(`${which} CRL, entries`, which, {
      entries: [entry('0a1b'), entry('00ff01'), entry('7f' + '11'.repeat(19))],
      extensions: crlExts(which, 2),
    });
    crl(`${which} CRL, entry extensions`, which, {
      entries: [
        entry('1001', START, [extension(OIDS.crlReason, false, asn1.create(U, T.ENUMERATED, false, '\x01'))]),
        entry('1002', START, [
          extension(OIDS.invalidityDate, false, generalizedTime(OLD)),
          extension(OIDS.crlReason, false, asn1.create(U, T.ENUMERATED, false, '\x04')),
        ]),
      ],
      extensions: crlExts(which, 3),
    });
    crl(`${which} CRL, many entries`, which, {
      entries: Array.from({ length: 40 }, (_, k) => entry((0x2000 + k * 7).toString(16).padStart(4, '0'))),
      extensions: crlExts(which, 4),
    });
  }
  crl('version 1 CRL', 'rsa', { version: false, entries: [entry('0b')] });
  crl('CRL without nextUpdate', 'ed25519', { nextUpdate: null, entries: [entry('0c')], extensions: crlExts('ed25519', 5) });
  crl('CRL in GeneralizedTime', 'rsa', {
    thisUpdate: generalizedTime(OLD),
    nextUpdate: generalizedTime(FAR),
    entries: [entry('0d', FAR)],
    extensions: crlExts('rsa', 6),
  });
  crl('CRL with an empty entry list', 'ed25519', { emptyList: true, extensions: crlExts('ed25519', 7) });
  crl('CRL with a critical extension', 'rsa', {
    entries: [entry('0e')],
    extensions: [...crlExts('rsa', 8), extension(OIDS.issuingDistributionPoint, true, seq(ctx(1, false, '\xff')))],
  });

  // Certificate signing requests.
  const csr = (label: string, key: KeyPairObjects, subject: Asn1, attributes: Asn1[] = []) => {
    const body = seq(smallInt(0), subject, fromDer(key.spki), ctx(0, true, attributes));
    seeds.push({ kind: 'csr', label, der: signed(body, key.privateKey), signerPublicKey: key.publicKey, signerPrivateKey: key.privateKey });
  };
  csr('RSA request', keys.rsaLeaf, cnName('req1.example.net'));
  csr('Ed25519 request', keys.edLeaf, cnName('req2.example.net'));
  csr('request with extensionRequest', keys.edLeaf2, cnName('req3.example.net'), [
    seq(
      oid(OIDS.extensionRequest),
      set(
        seq(
          extension(OIDS.subjectAltName, false, seq(dns('req3.example.net'), ip([127, 0, 0, 1]))),
          extension(OIDS.puppetPpUuid, false, text(UTF8, 'uuid')),
        ),
      ),
    ),
  ]);
  csr('request with challengePassword', keys.edLeaf, name([[[OIDS.o, UTF8, 'Acme']], [[OIDS.cn, UTF8, 'req4.example.net']]]), [
    seq(oid(OIDS.challengePassword), set(text(UTF8, 'secret'))),
  ]);
  csr('request with several CNs', keys.rsaLeaf, name([[[OIDS.cn, UTF8, 'one']], [[OIDS.cn, PRINTABLE, 'two']]]));
  csr('request with BMPString CN', keys.edLeaf2, name([[[OIDS.cn, BMP, 'bmp.example']]]));

  return { seeds, cas };
}
