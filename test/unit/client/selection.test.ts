import { describe, expect, it } from 'vitest';
import { countOf, limitNodes } from '../../../src/client/selection.js';
import { UsageError } from '../../../src/client/errors.js';
import { EXIT, haltCode } from '../../../src/client/exit-codes.js';

const nodes = Array.from({ length: 50 }, (_, i) => `node-${String(i + 1).padStart(2, '0')}`);

describe('countOf: N or N% of a total', () => {
  it('takes N as is and N% rounded up, never zero', () => {
    expect(countOf('10', 50, '--batch')).toBe(10);
    expect(countOf('10%', 50, '--batch')).toBe(5);
    expect(countOf('10%', 11, '--batch')).toBe(2);
    expect(countOf('1%', 3, '--batch')).toBe(1);
    expect(countOf('100%', 7, '--batch')).toBe(7);
    expect(countOf(' 3 ', 7, '--batch')).toBe(3);
  });

  it('refuses 0, negative, fractional, over 100% and words, naming the option', () => {
    for (const bad of ['0', '0%', '-1', '1.5', '101%', 'ten', '', '5 %']) {
      expect(() => countOf(bad, 10, '--limit-nodes'), bad).toThrow(UsageError);
    }
    expect(() => countOf('0', 10, '--limit-nodes')).toThrow(/--limit-nodes/);
  });
});

describe('limitNodes', () => {
  it('first: the first N in identity order', () => {
    expect(limitNodes([...nodes].reverse(), '3', 'first')).toEqual(['node-01', 'node-02', 'node-03']);
    expect(limitNodes(nodes, '10%', 'first')).toEqual(['node-01', 'node-02', 'node-03', 'node-04', 'node-05']);
  });

  it('never returns more than there are', () => {
    expect(limitNodes(['a', 'b'], '5', 'first')).toEqual(['a', 'b']);
    expect(limitNodes(['a', 'b'], '5', 'random', 1)).toEqual(['a', 'b']);
  });

  it('random with a seed picks the same nodes every time, whatever order discovery found them in', () => {
    const a = limitNodes(nodes, '7', 'random', 42);
    const b = limitNodes([...nodes].reverse(), '7', 'random', 42);
    expect(a).toEqual(b);
    expect(a).toHaveLength(7);
    expect(new Set(a).size).toBe(7);
    for (const n of a) expect(nodes).toContain(n);
  });

  it('different seeds pick different nodes, and the pick is not simply the first N', () => {
    const picks = new Set([1, 2, 3, 4, 5].map((seed) => limitNodes(nodes, '5', 'random', seed).join(',')));
    expect(picks.size).toBeGreaterThan(1);
    expect([...picks]).not.toContain(nodes.slice(0, 5).join(','));
  });

  it('random without a seed still returns N distinct discovered nodes', () => {
    const pick = limitNodes(nodes, '20%', 'random');
    expect(pick).toHaveLength(10);
    expect(new Set(pick).size).toBe(10);
  });
});

describe('haltCode (MCollective Application#halt_code)', () => {
  const cases: Array<[string, Parameters<typeof haltCode>[0], number]> = [
    ['all discovered nodes answered OK', { discovered: 3, responses: 3, failed: 0, noResponse: 0 }, EXIT.OK],
    ['nothing discovered', { discovered: 0, responses: 0, failed: 0, noResponse: 0 }, EXIT.ERROR],
    ['some failed', { discovered: 3, responses: 3, failed: 1, noResponse: 0 }, EXIT.SOME_FAILED],
    ['some did not answer', { discovered: 3, responses: 2, failed: 0, noResponse: 1 }, EXIT.SOME_FAILED],
    ['discovered, none answered', { discovered: 3, responses: 0, failed: 0, noResponse: 3 }, EXIT.NO_RESPONSES],
    ['no discovery, none answered', { responses: 0, failed: 0, noResponse: 0 }, EXIT.NO_DISCOVERY_NO_RESPONSES],
    ['no discovery, all OK', { responses: 4, failed: 0, noResponse: 0 }, EXIT.OK],
    ['no discovery, some failed', { responses: 4, failed: 2, noResponse: 0 }, EXIT.SOME_FAILED],
  ];
  for (const [what, input, code] of cases) {
    it(`${what} → ${code}`, () => expect(haltCode(input)).toBe(code));
  }

  it('the codes are MCollective numbers', () => {
    expect(EXIT).toEqual({ OK: 0, ERROR: 1, SOME_FAILED: 2, NO_RESPONSES: 3, NO_DISCOVERY_NO_RESPONSES: 4 });
  });
});
