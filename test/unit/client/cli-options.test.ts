// src/cli/options.ts: MCollective's common options, parsed by commander into typed request options.
import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { addRequestOptions, outputOptions, positiveInteger, seconds, sendOptions, targetOptions } from '../../../src/cli/options.js';
import type { ClientDefaults } from '../../../src/client/session.js';
import { UsageError } from '../../../src/client/errors.js';
import { FilterError } from '../../../src/filter/index.js';

const defaults: ClientDefaults = {
  mainCollective: 'mcollective',
  collectives: ['mcollective', 'dev'],
  discoveryTimeoutMs: 2000,
  quietWindowMs: 300,
  discoveryMethod: 'mc',
  ttl: 60,
  limitMethod: 'first',
  color: false,
};

/** Parses `args` as `mco rpc` options would be. */
function parse(args: string[]): Record<string, unknown> {
  let raw: Record<string, unknown> = {};
  const cmd = addRequestOptions(new Command('rpc'))
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, writeOut: () => undefined })
    .action((opts: Record<string, unknown>) => {
      raw = opts;
    });
  cmd.parse(args, { from: 'user' });
  return raw;
}

const target = (args: string[]) => targetOptions(parse(args), defaults);

describe('filter options', () => {
  it('builds one filter from -F -C -I -A -S -W, long forms and MCollective aliases alike', () => {
    const t = target([
      '-F',
      'role=web',
      '--wf',
      'cpus>=4',
      '--with-fact',
      'site=ams1',
      '-C',
      'nginx',
      '--with-class',
      '/^role::/',
      '-I',
      'a',
      '--wi',
      '/b/',
      '-A',
      'rpcutil',
      '-S',
      'os.family=Debian',
      '-W',
      'base env=prod',
    ]);
    expect(t.filter.fact).toEqual([
      { fact: 'role', operator: '==', value: 'web' },
      { fact: 'cpus', operator: '>=', value: '4' },
      { fact: 'site', operator: '==', value: 'ams1' },
      { fact: 'env', operator: '==', value: 'prod' },
    ]);
    expect(t.filter.cf_class).toEqual(['nginx', '/^role::/', 'base']);
    expect(t.filter.identity).toEqual(['a', '/b/']);
    expect(t.filter.agent).toEqual(['rpcutil']);
    expect(t.filter.compound).toEqual(['os.family=Debian']);
  });

  it('an empty command line is the empty filter on the main collective with the configured discovery', () => {
    expect(target([])).toMatchObject({
      filter: { fact: [], cf_class: [], agent: [], identity: [], compound: [] },
      collective: 'mcollective',
      discoveryMethod: 'mc',
      discoveryTimeoutMs: 2000,
      quietWindowMs: 300,
      limit: undefined,
      limitMethod: 'first',
    });
  });

  it('a bad filter is a FilterError naming the option and the position', () => {
    try {
      target(['-F', 'role=web', '-S', 'role=web and (x']);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(FilterError);
      expect((e as FilterError).option).toBe('-S');
      expect((e as FilterError).position).toBe(13);
    }
  });

  it('-T picks a configured collective and refuses others', () => {
    expect(target(['-T', 'dev']).collective).toBe('dev');
    expect(() => target(['-T', 'prod'])).toThrow(UsageError);
    expect(() => target(['--target', 'prod'])).toThrow(/not one of the configured collectives \(mcollective, dev\)/);
  });

  it('--dt in seconds, fractions allowed; a word is refused by commander', () => {
    expect(target(['--dt', '0.5']).discoveryTimeoutMs).toBe(500);
    expect(target(['--discovery-timeout', '3']).discoveryTimeoutMs).toBe(3000);
    expect(() => parse(['--dt', 'abc'])).toThrow(CommanderError);
    expect(() => parse(['--dt', '-1'])).toThrow(CommanderError);
  });

  it('--nodes FILE means flatfile discovery; it cannot be mixed with --dm mc or -S', () => {
    expect(target(['--nodes', '/tmp/n.txt'])).toMatchObject({ discoveryMethod: 'flatfile', discoveryOptions: { file: '/tmp/n.txt' } });
    expect(target(['--dm', 'flatfile', '--do', 'file=/x'])).toMatchObject({
      discoveryMethod: 'flatfile',
      discoveryOptions: { file: '/x' },
    });
    expect(() => target(['--nodes', 'f', '--dm', 'mc'])).toThrow(UsageError);
    expect(() => target(['--nodes', 'f', '-S', 'a=b'])).toThrow(/compound filters/);
    expect(target(['--dm', 'broadcast']).discoveryMethod).toBe('mc');
  });

  it('--do needs key=value', () => {
    expect(() => target(['--do', 'novalue'])).toThrow(/key=value/);
  });
});

describe('limits', () => {
  it('--limit-nodes N or N% (also --limit and --ln), first by default', () => {
    expect(target(['--limit-nodes', '5'])).toMatchObject({ limit: '5', limitMethod: 'first' });
    expect(target(['--limit', '10%']).limit).toBe('10%');
    expect(target(['--ln', '2']).limit).toBe('2');
  });

  it('--limit-seed makes the pick random and repeatable', () => {
    expect(target(['--limit-nodes', '5', '--limit-seed', '7'])).toMatchObject({ limit: '5', limitSeed: 7, limitMethod: 'random' });
  });

  it('-1 is a limit of one', () => {
    expect(target(['-1'])).toMatchObject({ limit: '1', limitMethod: 'first' });
    expect(target(['--one', '--limit-seed', '3'])).toMatchObject({ limit: '1', limitMethod: 'random' });
  });

  it('0 and words are refused', () => {
    for (const args of [
      ['--limit-nodes', '0'],
      ['--limit-nodes', 'x'],
      ['--limit-seed', '0'],
      ['--limit-seed', '1.5'],
    ]) {
      expect(() => parse(args), args.join(' ')).toThrow(CommanderError);
    }
  });
});

describe('request and output options', () => {
  it('defaults: ttl from config, batch sleep 1 s, results wanted, progress on', () => {
    expect(sendOptions(parse([]), defaults)).toEqual({
      timeoutMs: undefined,
      ttl: 60,
      batch: undefined,
      batchSleepMs: 1000,
      noResults: false,
    });
    expect(outputOptions(parse([]))).toEqual({ verbose: false, json: false, progress: true, display: undefined });
  });

  it('-t, --ttl, --batch, --batch-sleep, --no-results / --nr', () => {
    expect(sendOptions(parse(['-t', '2.5', '--ttl', '30', '--batch', '10', '--batch-sleep', '0.1', '--no-results']), defaults)).toEqual({
      timeoutMs: 2500,
      ttl: 30,
      batch: '10',
      batchSleepMs: 100,
      noResults: true,
    });
    expect(sendOptions(parse(['--nr']), defaults).noResults).toBe(true);
    expect(sendOptions(parse(['--batch', '25%']), defaults).batch).toBe('25%');
  });

  it('--batch 0, --batch abc, --ttl 0, --display bogus are refused before anything runs', () => {
    for (const args of [
      ['--batch', '0'],
      ['--batch', 'abc'],
      ['--batch', '0%'],
      ['--batch', '101%'],
      ['--limit-nodes', '150%'],
      ['--ttl', '0'],
      ['--display', 'bogus'],
      ['-t', 'soon'],
    ]) {
      expect(() => parse(args), args.join(' ')).toThrow(CommanderError);
    }
  });

  it('-j, -v, --np, --display', () => {
    expect(outputOptions(parse(['-j', '-v', '--np', '--display', 'failed']))).toEqual({
      verbose: true,
      json: true,
      progress: false,
      display: 'failed',
    });
    for (const d of ['ok', 'failed', 'all', 'none']) expect(outputOptions(parse(['--display', d])).display).toBe(d);
  });
});

describe('value parsers', () => {
  it('seconds: non-negative numbers', () => {
    expect(seconds('0')).toBe(0);
    expect(seconds('1.25')).toBe(1.25);
    for (const bad of ['', ' ', '-0.5', 'x', 'Infinity']) expect(() => seconds(bad), bad).toThrow();
  });

  it('positiveInteger: whole numbers above 0', () => {
    expect(positiveInteger('12')).toBe(12);
    for (const bad of ['0', '-3', '1e3', '2.0', 'ten']) expect(() => positiveInteger(bad), bad).toThrow();
  });
});
