import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FactsError, loadClassesFile, loadFactFiles } from '../../../src/plugins/facts/index.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'troupe-facts-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

function factsError(run: () => unknown): FactsError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(FactsError);
    return err as FactsError;
  }
  throw new Error('expected a FactsError');
}

describe('loadFactFiles', () => {
  it('reads YAML with nested structures kept as written', () => {
    const file = write(
      'facts.yaml',
      [
        '---',
        'os:',
        '  family: Debian',
        '  release:',
        '    major: "12"',
        'os.dotted: literal',
        'processorcount: 4',
        'roles: [web, db]',
      ].join('\n'),
    );
    expect(loadFactFiles([file])).toEqual({
      os: { family: 'Debian', release: { major: '12' } },
      'os.dotted': 'literal',
      processorcount: 4,
      roles: ['web', 'db'],
    });
  });

  it('reads JSON by extension and by content', () => {
    const byExtension = write('facts.json', '{"country": "de", "nested": {"a": 1}}');
    const sniffed = write('facts', '\n  {"country": "fr"}');
    expect(loadFactFiles([byExtension])).toEqual({ country: 'de', nested: { a: 1 } });
    expect(loadFactFiles([sniffed])).toEqual({ country: 'fr' });
  });

  it('deep-merges files in order, later files winning', () => {
    const base = write('base.yaml', 'os:\n  family: RedHat\n  name: CentOS\nroles: [web]\nenv: prod\n');
    const extra = write('extra.json', '{"os": {"name": "Rocky", "release": "9"}, "roles": ["db"], "site": "ams"}');
    expect(loadFactFiles([base, extra])).toEqual({
      os: { family: 'RedHat', name: 'Rocky', release: '9' },
      roles: ['db'],
      env: 'prod',
      site: 'ams',
    });
  });

  it('returns no facts for no files and for an empty file', () => {
    expect(loadFactFiles([])).toEqual({});
    expect(loadFactFiles([write('empty.yaml', '')])).toEqual({});
  });

  it('keeps a fact named __proto__ as an ordinary key', () => {
    const file = write('odd.json', '{"__proto__": {"polluted": true}}');
    const facts = loadFactFiles([file]);
    expect(Object.keys(facts)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('names the file and line of broken YAML', () => {
    const file = write('broken.yaml', 'a: 1\nb: 2\nc: [unclosed\nd: 4\n');
    const err = factsError(() => loadFactFiles([file]));
    expect(err.code).toBe('FACTS_PARSE');
    expect(err.file).toBe(file);
    expect(err.line).toBeGreaterThanOrEqual(3);
    expect(err.message).toContain(`${file}:${err.line}`);
  });

  it('names the file and line of broken JSON', () => {
    const file = write('broken.json', '{\n  "a": 1,\n  "b": oops\n}\n');
    const err = factsError(() => loadFactFiles([file]));
    expect(err.code).toBe('FACTS_PARSE');
    expect(err.line).toBe(3);
    expect(err.message).toContain(`${file}:3`);
  });

  it('rejects a top level that is not a mapping', () => {
    const list = write('list.yaml', '- a\n- b\n');
    const scalar = write('scalar.json', '42');
    expect(factsError(() => loadFactFiles([list])).code).toBe('FACTS_NOT_MAPPING');
    const err = factsError(() => loadFactFiles([scalar]));
    expect(err.code).toBe('FACTS_NOT_MAPPING');
    expect(err.message).toContain(scalar);
  });

  it('reports a missing fact file', () => {
    const file = path.join(dir, 'absent.yaml');
    const err = factsError(() => loadFactFiles([file]));
    expect(err.code).toBe('FACTS_NOT_FOUND');
    expect(err.file).toBe(file);
  });
});

describe('loadClassesFile', () => {
  it('reads one class per line, trimmed, skipping blanks', () => {
    const file = write('classes.txt', 'settings\n  apache  \n\r\n\napache::mod::ssl\r\nprofile::web\n');
    expect(loadClassesFile(file)).toEqual(['settings', 'apache', 'apache::mod::ssl', 'profile::web']);
  });

  it('treats a missing file as no classes', () => {
    expect(loadClassesFile(path.join(dir, 'absent.txt'))).toEqual([]);
  });

  it('reports a path that cannot be read as a file', () => {
    expect(factsError(() => loadClassesFile(dir)).code).toBe('FACTS_READ');
  });
});
