import { describe, expect, it } from 'vitest';
import { applyOutputDefaults, loadDDLFile, shouldDisplay } from '../../../src/ddl/index.js';
import { RPCUTIL_DDL_PATH, sampleDDL } from './fixture.js';

describe('shouldDisplay', () => {
  it('always shows everything', () => {
    expect(shouldDisplay('always', 0)).toBe(true);
    expect(shouldDisplay('always', 5)).toBe(true);
  });

  it('ok shows successes only', () => {
    expect(shouldDisplay('ok', 0)).toBe(true);
    expect(shouldDisplay('ok', 1)).toBe(false);
    expect(shouldDisplay('ok', 4)).toBe(false);
  });

  it('failed shows failures only', () => {
    expect(shouldDisplay('failed', 0)).toBe(false);
    expect(shouldDisplay('failed', 1)).toBe(true);
    expect(shouldDisplay('failed', 5)).toBe(true);
  });
});

describe('applyOutputDefaults', () => {
  const ddl = sampleDDL();

  it('fills declared defaults for missing outputs and leaves the rest alone', () => {
    const data = { message: 'hi' };
    expect(applyOutputDefaults(ddl, 'echo', data)).toEqual({ message: 'hi', length: 0 });
    expect(data).toEqual({ message: 'hi' });
  });

  it('keeps values the reply carries, and extra keys', () => {
    expect(applyOutputDefaults(ddl, 'echo', { length: 5, extra: true })).toEqual({ length: 5, extra: true });
  });

  it('applies null defaults and fresh copies of object defaults', () => {
    const rpcutil = loadDDLFile(RPCUTIL_DDL_PATH);
    expect(applyOutputDefaults(rpcutil, 'get_fact', { fact: 'x' })).toEqual({ fact: 'x', value: null });
    const first = applyOutputDefaults(rpcutil, 'inventory', {});
    (first['agents'] as string[]).push('mutated');
    expect(applyOutputDefaults(rpcutil, 'inventory', {})['agents']).toEqual([]);
  });

  it('throws UNKNOWN_ACTION for an unknown action', () => {
    expect(() => applyOutputDefaults(ddl, 'explode', {})).toThrow(expect.objectContaining({ code: 'UNKNOWN_ACTION' }));
  });
});
