// After a no-op preview, `mco puppet` suggests the command that applies what was previewed.
import { describe, expect, it } from 'vitest';
import { applyPreviewed } from '../../../src/cli/puppet.js';
import { shellCommand } from '../../../src/config/index.js';

describe('the command that applies a preview', () => {
  it('is the one given, without --noop, at the commit previewed', () => {
    const argv = ['puppet', 'runonce', '--noop', '--revision', 'main', '-W', 'role=web site=ams1', '--wait'];
    expect(shellCommand(applyPreviewed(argv, 'abc123'))).toBe("mco puppet runonce --revision abc123 -W 'role=web site=ams1' --wait");
    expect(applyPreviewed(['puppet', 'runonce', '--revision=main', '--noop'], 'abc123')).toEqual([
      'mco',
      'puppet',
      'runonce',
      '--revision=abc123',
    ]);
  });

  it('keeps the revision asked for when the nodes previewed different commits', () => {
    expect(applyPreviewed(['puppet', 'runonce', '--noop', '--revision', 'main'], undefined)).toEqual([
      'mco',
      'puppet',
      'runonce',
      '--revision',
      'main',
    ]);
  });
});
