// Commands troupe shows are quoted so that a POSIX shell reads back exactly their words.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellCommand, shellQuote } from '../../../src/config/index.js';

/** The words `sh` makes of a command line, each on its own NUL-terminated record. */
const wordsOf = (command: string) =>
  execFileSync('sh', ['-c', `printf '%s\\0' ${command}`], { encoding: 'utf8' })
    .split('\0')
    .slice(0, -1);

describe('shell quoting', () => {
  it('leaves plain words alone and quotes the rest', () => {
    expect(shellCommand(['puppet', 'apply', '--tags', 'a,b', '/etc/puppet/site.pp', 'content=x'])).toBe(
      'puppet apply --tags a,b /etc/puppet/site.pp content=x',
    );
    expect(shellQuote('git -C /code rev-parse HEAD')).toBe("'git -C /code rev-parse HEAD'");
    expect(shellQuote('')).toBe("''");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
  });

  it('is read back by sh as the same words, whatever they hold', () => {
    const words = [
      '',
      ' ',
      "it's",
      '"',
      '$HOME',
      '`id`',
      '$(id)',
      '*',
      '~',
      '=x',
      'a b\tc',
      'line\nbreak',
      '\\',
      '!',
      '#x',
      ';',
      '&&',
      '|',
      '<>',
      "''",
      'ünï',
    ];
    expect(wordsOf(shellCommand(['printf-arg', ...words])).slice(1)).toEqual(words);
  });

  it('quotes a first word that the shell would take for an assignment', () => {
    expect(shellCommand(['A=b', 'c'])).toBe("'A=b' c");
  });
});
