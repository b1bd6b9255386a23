import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS } from '../../../src/config/index.js';
import { withConfigTable, withErrorTable } from '../../../scripts/docs.js';
import { ROOT } from '../../helpers/mco.js';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

describe('README', () => {
  it('carries the config key table exactly as the key declarations generate it (npm run docs)', () => {
    expect(withConfigTable(readme)).toBe(readme);
    for (const key of CONFIG_KEYS) expect(readme).toContain(`\`${key.name}\``);
  });

  it('carries the error code catalogue exactly as the code tables generate it, where it shows one', () => {
    expect(withErrorTable(readme)).toBe(readme);
  });

  it('names the two commands that run and test troupe, and the CI script calls the test command', () => {
    expect(readme).toContain('npm run demo');
    expect(readme).toContain('npm test');
    expect(readFileSync(join(ROOT, '.ci', 'run'), 'utf8')).toMatch(/^npm test$/m);
  });
});
