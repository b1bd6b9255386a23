// Mutations of DER: structure-aware ones on a parsed tree (tags, lengths in every form, truncation,
// duplicated, deleted, swapped or spliced elements, OIDs, times, integers, booleans, strings, nesting),
// then plain byte mutations on the encoding. Inputs come from the seed corpus, which is valid DER.
import { Random } from './random.js';

export interface Node {
  tag: number;
  /** Children of a constructed element, or of DER wrapped in an OCTET STRING or BIT STRING. */
  children?: Node[];
  /** Bytes before the wrapped children (the unused-bits byte of a BIT STRING). */
  prefix?: Uint8Array;
  /** Content of a primitive element. */
  bytes?: Uint8Array;
  /** A length encoding to use instead of the minimal one (it may lie about the content). */
  lengthBytes?: Uint8Array;
  indefinite?: boolean;
}

/** Parses valid DER into a tree; only for corpus seeds, so it may throw on anything odd. */
export function parseTree(der: Uint8Array): Node[] {
  const out: Node[] = [];
  let at = 0;
  while (at < der.length) {
    const tag = der[at]!;
    let length = der[at + 1]!;
    let start = at + 2;
    if (length & 0x80) {
      const n = length & 0x7f;
      if (n === 0 || n > 4) throw new Error('not DER');
      length = 0;
      for (let i = 0; i < n; i++) length = length * 256 + der[start + i]!;
      start += n;
    }
    const end = start + length;
    if (end > der.length || (tag & 0x1f) === 0x1f) throw new Error('not DER');
    const content = der.subarray(start, end);
    if (tag & 0x20) out.push({ tag, children: parseTree(content) });
    else out.push(wrapped(tag, content) ?? { tag, bytes: content });
    at = end;
  }
  return out;
}

/** OCTET STRINGs and BIT STRINGs that hold DER (extension values, public keys) are parsed too. */
function wrapped(tag: number, content: Uint8Array): Node | undefined {
  const skip = tag === 0x03 ? 1 : tag === 0x04 ? 0 : -1;
  if (skip < 0 || content.length < skip + 2 || (skip === 1 && content[0] !== 0)) return undefined;
  const inner = content.subarray(skip);
  if (![0x30, 0x03, 0x04, 0x02, 0x0a, 0x0c, 0x16, 0x18].includes(inner[0]!)) return undefined;
  try {
    const children = parseTree(inner);
    return { tag, children, prefix: content.subarray(0, skip) };
  } catch {
    return undefined;
  }
}

function lengthOf(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

export function serialise(nodes: readonly Node[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const walk = (node: Node) => {
    const content = node.children
      ? concat([node.prefix ?? new Uint8Array(0), ...node.children.map((c) => serialise([c]))])
      : (node.bytes ?? new Uint8Array(0));
    if (node.indefinite) {
      parts.push(Uint8Array.of(node.tag, 0x80), content, Uint8Array.of(0, 0));
    } else {
      parts.push(Uint8Array.of(node.tag), node.lengthBytes ?? lengthOf(content.length), content);
    }
  };
  for (const n of nodes) walk(n);
  return concat(parts);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function cloneTree(node: Node): Node {
  return { ...node, children: node.children?.map(cloneTree) };
}

interface Place {
  node: Node;
  parent?: Node;
  index: number;
}

function places(root: Node): Place[] {
  const out: Place[] = [{ node: root, index: 0 }];
  const walk = (parent: Node) => {
    parent.children?.forEach((node, index) => {
      out.push({ node, parent, index });
      walk(node);
    });
  };
  walk(root);
  return out;
}

const STRING_TAGS = [0x0c, 0x12, 0x13, 0x14, 0x16, 0x1a, 0x1c, 0x1e, 0x04, 0x03];
const TAG_NEIGHBOURS = [
  0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x0a, 0x0c, 0x13, 0x14, 0x16, 0x17, 0x18, 0x1c, 0x1e, 0x30, 0x31, 0x80, 0x81, 0x82, 0x86, 0x87, 0x88,
  0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0x1f, 0x00, 0x3f, 0xff,
];

/** OIDs worth swapping in: every one the reader or OpenSSL treats specially, and near misses. */
const OID_POOL = [
  '2.5.4.3',
  '2.5.4.4',
  '2.5.4.10',
  '2.5.4.11',
  '1.2.840.113549.1.9.1',
  '0.9.2342.19200300.100.1.25',
  '2.5.29.19',
  '2.5.29.15',
  '2.5.29.37',
  '2.5.29.17',
  '2.5.29.18',
  '2.5.29.14',
  '2.5.29.35',
  '2.5.29.32',
  '2.5.29.30',
  '2.5.29.31',
  '2.5.29.20',
  '2.5.29.21',
  '2.5.29.28',
  '2.5.29.27',
  '1.3.6.1.5.5.7.3.1',
  '1.3.6.1.5.5.7.3.2',
  '1.3.6.1.5.5.7.3.4',
  '2.5.29.37.0',
  '1.3.6.1.5.5.7.1.1',
  '1.2.840.113549.1.1.1',
  '1.2.840.113549.1.1.5',
  '1.2.840.113549.1.1.11',
  '1.2.840.113549.1.1.12',
  '1.2.840.113549.1.1.13',
  '1.2.840.113549.1.1.10',
  '1.3.101.112',
  '1.3.101.113',
  '1.3.101.110',
  '1.2.840.10045.2.1',
  '1.2.840.10045.4.3.2',
  '1.2.840.113549.1.9.14',
  '2.999.1',
  '1.3.6.1.4.1.34380.1.1.1',
  '1.3.6.1.4.1.34380.1.3.39',
];

function encodeOid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(Number);
  const values = [arcs[0]! * 40 + arcs[1]!, ...arcs.slice(2)];
  const out: number[] = [];
  for (const v of values) {
    const chunk: number[] = [v & 0x7f];
    for (let x = Math.floor(v / 128); x > 0; x = Math.floor(x / 128)) chunk.unshift(0x80 | (x & 0x7f));
    out.push(...chunk);
  }
  return Uint8Array.from(out);
}

const TIME_TEXTS = [
  '250102030405Z',
  '2501020304Z',
  '250102030405+0100',
  '250102030405',
  '250102030405.5Z',
  '491231235959Z',
  '500101000000Z',
  '991231235960Z',
  '991301000000Z',
  '990230000000Z',
  '000229000000Z',
  '010229000000Z',
  '251231240000Z',
  ' 50102030405Z',
  '25010203040Z',
  '2501020304055Z',
  '25-1-2030405Z',
  '250102030405z',
  '20250102030405Z',
  '202501020304Z',
  '20250102030405.123Z',
  '20250102030405.Z',
  '20250102030405+0000',
  '19491231235959Z',
  '00500101000000Z',
  '00000101000000Z',
  '99991231235959Z',
  '20241301000000Z',
  '20240230000000Z',
  '20240229000000Z',
  '21000229000000Z',
  '20000229000000Z',
  '20250102030460Z',
  '2025010203040Z',
  '2025010203Z',
];

const STRING_SNIPPETS = [
  ',',
  '+',
  '"',
  '\\',
  '<',
  '>',
  ';',
  '#',
  ' ',
  '=',
  '\n',
  '\r',
  '\x00',
  '\x7f',
  '\u00e9',
  '\u0100',
  '\ud83d\ude00',
  'CN=',
  '\u202e',
  '\ufffd',
];

export interface MutationOptions {
  random: Random;
  /** Every seed's root node, for splicing in elements from elsewhere. */
  donors: readonly Node[];
}

/** One mutated copy of `seed`; `steps` says what was done, for reports. */
export function mutate(seed: Node, opts: MutationOptions): { der: Uint8Array; steps: string[] } {
  const { random } = opts;
  const steps: string[] = [];
  const root = cloneTree(seed);
  const structural = random.chance(0.85) ? 1 + random.int(3) : 0;
  for (let i = 0; i < structural; i++) steps.push(mutateTree(root, opts));
  let der = serialise([root]);
  if (structural === 0 || random.chance(0.2)) {
    const n = 1 + random.int(3);
    for (let i = 0; i < n; i++) {
      const r = mutateBytes(der, random);
      der = r.der;
      steps.push(r.step);
    }
  }
  return { der, steps };
}

function mutateTree(root: Node, opts: MutationOptions): string {
  const { random } = opts;
  const all = places(root);
  const place = random.pick(all);
  const { node, parent, index } = place;
  const op = random.int(20);
  switch (op) {
    case 0: {
      node.tag = random.chance(0.7) ? random.pick(TAG_NEIGHBOURS) : random.int(256);
      return `tag→${node.tag.toString(16)}`;
    }
    case 1: {
      // The true length in a longer form than needed.
      const exact = contentOf(node).length;
      const forms = [
        Uint8Array.of(0x81, exact & 0xff),
        Uint8Array.of(0x82, exact >> 8, exact & 0xff),
        Uint8Array.of(0x84, 0, 0, exact >> 8, exact & 0xff),
        Uint8Array.of(0x83, 0, exact >> 8, exact & 0xff),
      ];
      node.lengthBytes = exact > 0xff ? random.pick(forms.slice(1)) : random.pick(forms);
      return 'long-form length';
    }
    case 2: {
      const exact = contentOf(node).length;
      const lie = random.pick([
        exact + 1,
        exact - 1,
        exact + 2 + random.int(5),
        Math.max(0, exact - 2 - random.int(5)),
        0,
        0x7f,
        0xffff,
        0xffffffff,
      ]);
      node.lengthBytes =
        lie >= 0 && lie < 0x80 && random.chance(0.5)
          ? Uint8Array.of(lie)
          : random.chance(0.1)
            ? Uint8Array.of(0x85, 0, 0, 0, 0, lie & 0xff)
            : lengthOf(Math.max(0, lie));
      return `length lies (${lie} for ${exact})`;
    }
    case 3:
      node.indefinite = true;
      return 'indefinite length';
    case 4: {
      if (node.children?.length) node.children.splice(random.int(node.children.length));
      else if (node.bytes) node.bytes = node.bytes.subarray(0, random.int(node.bytes.length));
      return 'truncate content';
    }
    case 5:
      if (parent) parent.children!.splice(index, 1);
      return 'delete element';
    case 6:
      if (parent) parent.children!.splice(index, 0, cloneTree(node));
      return 'duplicate element';
    case 7: {
      if (parent && parent.children!.length > 1) {
        const other = random.int(parent.children!.length);
        [parent.children![index], parent.children![other]] = [parent.children![other]!, parent.children![index]!];
      }
      return 'swap elements';
    }
    case 8:
    case 9: {
      const donor = random.pick(places(random.pick(opts.donors)));
      const sameTag = places(random.pick(opts.donors)).filter((p) => p.node.tag === node.tag);
      const replacement = cloneTree(sameTag.length && random.chance(0.6) ? random.pick(sameTag).node : donor.node);
      if (op === 8 && parent) parent.children![index] = replacement;
      else if (node.children) node.children.splice(random.int(node.children.length + 1), 0, replacement);
      return op === 8 ? 'splice element' : 'insert element';
    }
    case 10: {
      const oids = all.filter((p) => p.node.tag === 0x06 && p.node.bytes);
      if (!oids.length) return 'no OID';
      const target = random.pick(oids).node;
      const choice = random.int(6);
      if (choice === 0)
        target.bytes = Uint8Array.of(0x80, ...target.bytes!); // non-minimal first arc
      else if (choice === 1)
        target.bytes = Uint8Array.of(...target.bytes!.subarray(0, -1), target.bytes!.at(-1)! | 0x80); // unfinished arc
      else if (choice === 2) target.bytes = Uint8Array.of(...target.bytes!, random.int(128));
      else if (choice === 3)
        target.bytes =
          target.bytes!.length > 1
            ? Uint8Array.of(...target.bytes!.subarray(0, -1), (target.bytes!.at(-1)! + 1) & 0x7f)
            : new Uint8Array(0);
      else if (choice === 4)
        target.bytes = Uint8Array.of(...target.bytes!.subarray(0, -1), 0x80, target.bytes!.at(-1)!); // padded last arc
      else target.bytes = encodeOid(random.pick(OID_POOL));
      return 'change OID';
    }
    case 11: {
      const times = all.filter((p) => (p.node.tag === 0x17 || p.node.tag === 0x18) && p.node.bytes);
      if (!times.length) return 'no time';
      const target = random.pick(times).node;
      const text = random.pick(TIME_TEXTS);
      if (random.chance(0.3)) target.tag = text.length >= 15 ? 0x18 : 0x17;
      target.bytes = Buffer.from(text, 'latin1');
      return `time ${target.tag.toString(16)} '${text}'`;
    }
    case 12: {
      if (random.chance(0.5) && parent) {
        // Two times swapped, or a UTCTime re-encoded as GeneralizedTime.
        const times = all.filter((p) => (p.node.tag === 0x17 || p.node.tag === 0x18) && p.node.bytes);
        if (times.length >= 2) {
          const a = random.pick(times).node;
          const b = random.pick(times).node;
          [a.tag, a.bytes, b.tag, b.bytes] = [b.tag, b.bytes, a.tag, a.bytes];
          return 'swap times';
        }
      }
      const utc = all.filter((p) => p.node.tag === 0x17 && p.node.bytes).map((p) => p.node);
      if (utc.length) {
        const t = random.pick(utc);
        const text = Buffer.from(t.bytes!).toString('latin1');
        t.tag = 0x18;
        t.bytes = Buffer.from((Number(text.slice(0, 2)) >= 50 ? '19' : '20') + text, 'latin1');
      }
      return 'UTCTime as GeneralizedTime';
    }
    case 13: {
      const ints = all.filter((p) => p.node.tag === 0x02);
      if (!ints.length) return 'no INTEGER';
      const target = random.pick(ints).node;
      const b = target.bytes ?? new Uint8Array(0);
      target.bytes = random.pick([
        Uint8Array.of(0, ...b),
        Uint8Array.of(0xff, ...b),
        Uint8Array.of(b[0]! ^ 0x80, ...b.subarray(1)),
        new Uint8Array(0),
        Uint8Array.of(0),
        Uint8Array.of(0x80),
        Uint8Array.of(0xff),
        opts.random.bytes(1 + opts.random.int(40)),
        Uint8Array.of(0, 0, ...b),
      ]);
      return 'change INTEGER';
    }
    case 14: {
      const bools = all.filter((p) => p.node.tag === 0x01);
      if (!bools.length) return 'no BOOLEAN';
      random.pick(bools).node.bytes = random.pick([
        Uint8Array.of(0),
        Uint8Array.of(1),
        Uint8Array.of(0x7f),
        Uint8Array.of(0xff, 0xff),
        new Uint8Array(0),
      ]);
      return 'change BOOLEAN';
    }
    case 15: {
      const strings = all.filter((p) => STRING_TAGS.includes(p.node.tag) && p.node.bytes);
      if (!strings.length) return 'no string';
      const target = random.pick(strings).node;
      const choice = random.int(5);
      const b = Buffer.from(target.bytes!);
      if (choice === 0) target.tag = random.pick(STRING_TAGS);
      else if (choice === 1)
        target.bytes = Buffer.concat([b, Buffer.from(random.pick(STRING_SNIPPETS), random.chance(0.5) ? 'utf8' : 'latin1')]);
      else if (choice === 2) target.bytes = Buffer.concat([Buffer.from(random.pick(STRING_SNIPPETS), 'utf8'), b]);
      else if (choice === 3)
        target.bytes = Buffer.concat([b, Uint8Array.of(random.pick([0x80, 0xc0, 0xc3, 0xe0, 0xed, 0xf0, 0xf4, 0xf8, 0xff]))]);
      else target.bytes = b.length ? Buffer.from(b.subarray(0, b.length - 1 - random.int(Math.min(3, b.length)))) : b;
      return 'change string';
    }
    case 16: {
      const bitStrings = all.filter((p) => p.node.tag === 0x03);
      if (!bitStrings.length) return 'no BIT STRING';
      const target = random.pick(bitStrings).node;
      const unused = random.pick([1, 3, 7, 8, 0xff]);
      if (target.children) target.prefix = Uint8Array.of(unused);
      else if (target.bytes?.length) target.bytes = Uint8Array.of(unused, ...target.bytes.subarray(1));
      else target.bytes = Uint8Array.of(unused);
      return `BIT STRING unused bits ${unused}`;
    }
    case 17: {
      if (!parent) return 'no parent';
      const wrapper = random.pick([0x30, 0x31, 0xa0, 0xa3, 0x04]);
      parent.children![index] = { tag: wrapper, children: [node] };
      return `nest in ${wrapper.toString(16)}`;
    }
    case 18: {
      if (!parent || !node.children?.length) return 'no unwrap';
      parent.children!.splice(index, 1, ...node.children);
      return 'unwrap element';
    }
    default: {
      if (node.children) node.children = [];
      else node.bytes = new Uint8Array(0);
      return 'empty content';
    }
  }
}

function contentOf(node: Node): Uint8Array {
  const whole = serialise([{ ...node, lengthBytes: undefined, indefinite: false }]);
  const lenByte = whole[1]!;
  return whole.subarray(2 + (lenByte & 0x80 ? lenByte & 0x7f : 0));
}

function mutateBytes(der: Uint8Array, random: Random): { der: Uint8Array; step: string } {
  const out = Buffer.from(der);
  const at = random.int(out.length);
  switch (random.int(7)) {
    case 0:
      out[at]! ^= 1 << random.int(8);
      return { der: out, step: `flip bit at ${at}` };
    case 1:
      out[at] = random.int(256);
      return { der: out, step: `set byte at ${at}` };
    case 2:
      return { der: out.subarray(0, at), step: `truncate at ${at}` };
    case 3:
      return {
        der: Buffer.concat([out.subarray(0, at), random.bytes(1 + random.int(4)), out.subarray(at)]),
        step: `insert bytes at ${at}`,
      };
    case 4:
      return { der: Buffer.concat([out.subarray(0, at), out.subarray(at + 1 + random.int(4))]), step: `delete bytes at ${at}` };
    case 5:
      return {
        der: Buffer.concat([out, random.chance(0.5) ? Uint8Array.of(0, 0) : random.bytes(1 + random.int(8))]),
        step: 'append bytes',
      };
    default: {
      const from = random.int(out.length);
      const len = 1 + random.int(16);
      return {
        der: Buffer.concat([out.subarray(0, at), out.subarray(from, from + len), out.subarray(at)]),
        step: `copy ${len} bytes from ${from} to ${at}`,
      };
    }
  }
}

/** A DER element from its tag and content parts (minimal length). */
export function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const content = concat(parts);
  return concat([Uint8Array.of(tag), lengthOf(content.length), content]);
}
