import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CONFIG_KEYS,
  ConfigError,
  configReference,
  defaultConfigPath,
  describeConfigItem,
  isSecretKey,
  loadConfig,
  parseConfig,
  SERVER_CONFIG_PATH,
  SYSTEM_CLIENT_CONFIG_PATH,
} from '../../../src/config/index.js';

describe('loadConfig', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'troupe-config-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads a file and records its name', () => {
    const file = path.join(dir, 'server.cfg');
    fs.writeFileSync(file, 'identity = node1\nloglevel = debug\n');
    const config = loadConfig(file);
    expect(config.file).toBe(file);
    expect(config.get('identity')).toBe('node1');
    expect(config.get('loglevel')).toBe('debug');
  });

  it('applies overrides on top of the file', () => {
    const file = path.join(dir, 'client.cfg');
    fs.writeFileSync(file, 'loglevel = debug\n');
    expect(loadConfig(file, { loglevel: 'error' }).get('loglevel')).toBe('error');
  });

  it('uses defaults and overrides alone when no file is given', () => {
    const config = loadConfig(undefined, { ttl: '15' });
    expect(config.file).toBeUndefined();
    expect(config.get('ttl')).toBe(15);
    expect(config.get('connector')).toBe('nats');
  });

  it('reports a missing file as CONFIG_NOT_FOUND naming it', () => {
    const file = path.join(dir, 'absent.cfg');
    let caught: unknown;
    try {
      loadConfig(file);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).code).toBe('CONFIG_NOT_FOUND');
    expect((caught as ConfigError).file).toBe(file);
    expect((caught as ConfigError).message).toContain(file);
  });

  it('names the file and line of a bad value read from disk', () => {
    const file = path.join(dir, 'server.cfg');
    fs.writeFileSync(file, 'identity = node1\nttl = soon\n');
    expect(() => loadConfig(file)).toThrow(`${file}:2: ttl: expected integer >= 1, got "soon"`);
  });
});

describe('defaultConfigPath', () => {
  const home = '/home/ops';
  const userConfig = '/home/ops/.troupe/client.cfg';
  const existing =
    (...files: string[]) =>
    (file: string) =>
      files.includes(file);

  it('prefers $TROUPE_CONFIG for clients, even when it does not exist', () => {
    const found = defaultConfigPath('client', {
      env: { TROUPE_CONFIG: '/srv/mine.cfg' },
      home,
      exists: existing(userConfig, SYSTEM_CLIENT_CONFIG_PATH),
    });
    expect(found).toBe('/srv/mine.cfg');
  });

  it('falls back to the user file, then the system file', () => {
    expect(defaultConfigPath('client', { env: {}, home, exists: existing(userConfig, SYSTEM_CLIENT_CONFIG_PATH) })).toBe(userConfig);
    expect(defaultConfigPath('client', { env: {}, home, exists: existing(SYSTEM_CLIENT_CONFIG_PATH) })).toBe(SYSTEM_CLIENT_CONFIG_PATH);
    expect(defaultConfigPath('client', { env: {}, home, exists: existing() })).toBeUndefined();
  });

  it('uses the server file only when present, ignoring $TROUPE_CONFIG', () => {
    const env = { TROUPE_CONFIG: '/srv/mine.cfg' };
    expect(defaultConfigPath('server', { env, home, exists: existing(SERVER_CONFIG_PATH) })).toBe(SERVER_CONFIG_PATH);
    expect(defaultConfigPath('server', { env, home, exists: existing() })).toBeUndefined();
  });
});

describe('describeConfigItem', () => {
  const config = parseConfig(
    ['collectives = eu, us', 'plugin.yaml = /a.yaml:/b.json', 'color = no', 'plugin.nginx.reload = yes'].join('\n'),
  );

  it('renders declared keys in config-file syntax', () => {
    expect(describeConfigItem(config, 'collectives')).toBe('eu,us');
    expect(describeConfigItem(config, 'plugin.yaml')).toBe('/a.yaml:/b.json');
    expect(describeConfigItem(config, 'color')).toBe('false');
    expect(describeConfigItem(config, 'ttl')).toBe('60');
    expect(describeConfigItem(config, 'main_collective')).toBe('eu');
  });

  it('returns raw plugin settings', () => {
    expect(describeConfigItem(config, 'plugin.nginx.reload')).toBe('yes');
  });

  it('refuses unknown keys and unset plugin keys with CONFIG_UNKNOWN_KEY', () => {
    expect(() => describeConfigItem(config, 'colour')).toThrow(/did you mean "color"/);
    expect(() => describeConfigItem(config, 'plugin.nginx.nothing')).toThrow(/is not set/);
    expect(() => describeConfigItem(config, 'nope')).toThrow(expect.objectContaining({ code: 'CONFIG_UNKNOWN_KEY', key: 'nope' }));
  });
});

describe('CONFIG_KEYS and configReference', () => {
  it('declares every key once, each with a scope and a description', () => {
    const names = CONFIG_KEYS.map((key) => key.name);
    expect(new Set(names).size).toBe(names.length);
    for (const key of CONFIG_KEYS) {
      expect(['server', 'client', 'both']).toContain(key.scope);
      expect(key.description.length).toBeGreaterThan(10);
    }
  });

  it('declares defaults that are themselves valid values', () => {
    const config = parseConfig('');
    for (const key of CONFIG_KEYS) {
      if (typeof key.default === 'function') continue;
      // A secret is never described; its default is a plain string.
      const text = isSecretKey(key.name) ? String(key.default) : describeConfigItem(config, key.name);
      expect(() => parseConfig(text === '' ? '' : `${key.name} = ${text}`), key.name).not.toThrow();
    }
    for (const key of CONFIG_KEYS) {
      if (key.type === 'enum') expect(key.values).toContain(key.default);
    }
  });

  it('renders a Markdown table with one row per key', () => {
    const table = configReference();
    const lines = table.trim().split('\n');
    expect(lines[0]).toBe('| key | type | default | scope | description |');
    expect(lines[1]).toBe('| --- | --- | --- | --- | --- |');
    expect(lines).toHaveLength(CONFIG_KEYS.length + 2);
    for (const key of CONFIG_KEYS) {
      const row = lines.find((line) => line.startsWith(`| \`${key.name}\` |`));
      expect(row, key.name).toBeDefined();
      expect(row).toContain(` ${key.scope} `);
      expect(row!.split(/(?<!\\)\|/)).toHaveLength(7);
    }
  });

  it('shows defaults, computed defaults and types readably', () => {
    const table = configReference();
    expect(table).toContain('| `ttl` | integer >= 1 | `60` | both |');
    expect(table).toContain('| `connector` | one of nats, amqp | `nats` | both |');
    expect(table).toContain('| `main_collective` | string | first of `collectives` | both |');
    expect(table).toContain('| `plugin.yaml` | path list (separated by : or ,) | (empty) | server |');
  });
});
