import os from 'node:os';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../src/config/index.js';

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig: file syntax', () => {
  it('reads key = value lines, skipping comments and blank lines, trimming both sides', () => {
    const config = parseConfig(
      ['# a comment', '', '   identity   =   web1.example.com   ', '\t# indented comment', 'ttl=30'].join('\n'),
      'server.cfg',
    );
    expect(config.get('identity')).toBe('web1.example.com');
    expect(config.get('ttl')).toBe(30);
    expect(config.file).toBe('server.cfg');
  });

  it('splits on the first = only, so values may contain = and #', () => {
    const config = parseConfig('plugin.broker.password = s3cr=t#1\n');
    expect(config.plugin('broker')).toEqual({ password: 's3cr=t#1' });
  });

  it('accepts CRLF line endings and a byte-order mark', () => {
    const config = parseConfig('\uFEFFidentity = a\r\nttl = 5\r\n');
    expect(config.get('identity')).toBe('a');
    expect(config.get('ttl')).toBe(5);
  });

  it('keeps the last value of a key set twice', () => {
    expect(parseConfig('ttl = 5\nttl = 7\n').get('ttl')).toBe(7);
  });

  it('rejects a line without = naming file and line', () => {
    const err = configError(() => parseConfig('ttl = 5\njust words\n', 'c.cfg'));
    expect(err.code).toBe('CONFIG_SYNTAX');
    expect(err.file).toBe('c.cfg');
    expect(err.line).toBe(2);
    expect(err.message).toContain('c.cfg:2');
  });
});

describe('parseConfig: defaults', () => {
  it('gives every key its declared default when nothing is set', () => {
    const config = parseConfig('');
    expect(config.get('identity')).toBe(os.hostname());
    expect(config.get('collectives')).toEqual(['mcollective']);
    expect(config.get('main_collective')).toBe('mcollective');
    expect(config.get('connector')).toBe('nats');
    expect(config.get('middleware_hosts')).toEqual(['nats://127.0.0.1:4222']);
    expect(config.get('plugin.nats.max_reconnect_wait')).toBe(5);
    expect(config.get('plugin.nats.connect_timeout')).toBe(5);
    expect(config.get('securityprovider')).toBe('pki');
    expect(config.get('plugin.yaml')).toEqual([]);
    expect(config.get('fact_reload_interval')).toBe(10);
    expect(config.get('classesfile')).toBe('/var/cache/puppet/state/classes.txt');
    expect(config.get('logfile')).toBe('');
    expect(config.get('loglevel')).toBe('info');
    expect(config.get('ttl')).toBe(60);
    expect(config.get('max_message_size')).toBe(1048576);
    expect(config.get('discovery_timeout')).toBe(2);
    expect(config.get('discovery_quiet_window')).toBe(0.3);
    expect(config.get('default_discovery_method')).toBe('mc');
    expect(config.get('direct_addressing_threshold')).toBe(10);
    expect(config.get('rpclimitmethod')).toBe('first');
    expect(config.get('color')).toBe(true);
    expect(config.get('plugindirs')).toEqual([]);
  });

  it('derives main_collective from the first collective', () => {
    expect(parseConfig('collectives = eu, us\n').get('main_collective')).toBe('eu');
  });

  it('hands out copies of lists so callers cannot change shared state', () => {
    const config = parseConfig('collectives = a,b\n');
    config.get('collectives').push('c');
    expect(config.get('collectives')).toEqual(['a', 'b']);
  });

  it('types get() from the declarations', () => {
    const config = parseConfig('');
    expectTypeOf(config.get('ttl')).toEqualTypeOf<number>();
    expectTypeOf(config.get('collectives')).toEqualTypeOf<string[]>();
    expectTypeOf(config.get('color')).toEqualTypeOf<boolean>();
    expectTypeOf(config.get('connector')).toEqualTypeOf<'nats' | 'amqp'>();
    expectTypeOf(config.get('identity')).toEqualTypeOf<string>();
    expectTypeOf(config.get('loglevel')).toEqualTypeOf<'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'>();
  });
});

describe('parseConfig: value types', () => {
  it('parses integers and rejects fractions, words and values out of range', () => {
    expect(parseConfig('ttl = 120').get('ttl')).toBe(120);
    for (const bad of ['1.5', 'ten', '0', '']) {
      const err = configError(() => parseConfig(`ttl = ${bad}`, 'c.cfg'));
      expect(err.code).toBe('CONFIG_BAD_VALUE');
      expect(err.key).toBe('ttl');
      expect(err.message).toContain('integer');
    }
  });

  it('parses fractional seconds for numbers', () => {
    expect(parseConfig('discovery_quiet_window = 0.25').get('discovery_quiet_window')).toBe(0.25);
    expect(parseConfig('discovery_timeout = .5').get('discovery_timeout')).toBe(0.5);
    expect(configError(() => parseConfig('discovery_timeout = 2s')).code).toBe('CONFIG_BAD_VALUE');
    expect(configError(() => parseConfig('discovery_timeout = -1')).code).toBe('CONFIG_BAD_VALUE');
  });

  it.each([
    ['1', true],
    ['true', true],
    ['YES', true],
    ['y', true],
    ['0', false],
    ['false', false],
    ['no', false],
    ['N', false],
  ])('reads boolean %s as %s', (text, expected) => {
    expect(parseConfig(`color = ${text}`).get('color')).toBe(expected);
  });

  it('rejects other boolean words', () => {
    const err = configError(() => parseConfig('color = maybe', 'c.cfg'));
    expect(err.code).toBe('CONFIG_BAD_VALUE');
    expect(err.message).toContain('boolean');
  });

  it('splits lists on commas, trimming and dropping empty items', () => {
    expect(parseConfig('collectives = a , b,, c ,').get('collectives')).toEqual(['a', 'b', 'c']);
  });

  it('splits path lists on both : and ,', () => {
    const config = parseConfig('plugin.yaml = /etc/troupe/facts.yaml:/etc/troupe/extra.json, /tmp/more.yaml');
    expect(config.get('plugin.yaml')).toEqual(['/etc/troupe/facts.yaml', '/etc/troupe/extra.json', '/tmp/more.yaml']);
  });

  it('checks enum values', () => {
    expect(parseConfig('connector = amqp').get('connector')).toBe('amqp');
    const err = configError(() => parseConfig('connector = stomp', 'c.cfg'));
    expect(err.code).toBe('CONFIG_BAD_VALUE');
    expect(err.message).toContain('one of nats, amqp');
  });

  it('requires broker URLs with a scheme', () => {
    expect(parseConfig('middleware_hosts = nats://a:4222, tls://b:4222').get('middleware_hosts')).toEqual([
      'nats://a:4222',
      'tls://b:4222',
    ]);
    const err = configError(() => parseConfig('middleware_hosts = nats://a:4222, b:4222', 'c.cfg'));
    expect(err.code).toBe('CONFIG_BAD_VALUE');
    expect(err.message).toContain('"b:4222"');
    expect(configError(() => parseConfig('middleware_hosts = ')).code).toBe('CONFIG_BAD_VALUE');
  });

  it('rejects identities and collectives that cannot be subject tokens', () => {
    expect(configError(() => parseConfig('identity = web 1')).key).toBe('identity');
    expect(configError(() => parseConfig('identity = web*')).key).toBe('identity');
    expect(configError(() => parseConfig('collectives = eu.west')).key).toBe('collectives');
    expect(configError(() => parseConfig('collectives = ,')).key).toBe('collectives');
  });

  it('allows empty strings for paths such as logfile', () => {
    expect(parseConfig('logfile =').get('logfile')).toBe('');
  });
});

describe('parseConfig: bad values name file, line, key and expected type', () => {
  it('reports the position of the offending line', () => {
    const err = configError(() => parseConfig('# header\nidentity = a\n\nmax_message_size = lots\n', '/etc/troupe/server.cfg'));
    expect(err.code).toBe('CONFIG_BAD_VALUE');
    expect(err.file).toBe('/etc/troupe/server.cfg');
    expect(err.line).toBe(4);
    expect(err.key).toBe('max_message_size');
    expect(err.message).toBe('/etc/troupe/server.cfg:4: max_message_size: expected integer >= 1024, got "lots"');
  });
});

describe('parseConfig: unknown keys', () => {
  it('rejects an unknown key with file:line and the closest declared key', () => {
    const err = configError(() => parseConfig('ttl = 5\nidentiy = web1\n', 'client.cfg'));
    expect(err.code).toBe('CONFIG_UNKNOWN_KEY');
    expect(err.file).toBe('client.cfg');
    expect(err.line).toBe(2);
    expect(err.suggestion).toBe('identity');
    expect(err.message).toBe('client.cfg:2: unknown config key "identiy"; did you mean "identity"?');
  });

  it('offers no suggestion when nothing is close', () => {
    const err = configError(() => parseConfig('completely_unrelated_setting = 1'));
    expect(err.code).toBe('CONFIG_UNKNOWN_KEY');
    expect(err.suggestion).toBeUndefined();
    expect(err.message).not.toContain('did you mean');
  });

  it('rejects a bare "plugin." key', () => {
    expect(configError(() => parseConfig('plugin. = x')).code).toBe('CONFIG_UNKNOWN_KEY');
  });
});

describe('parseConfig: plugin settings', () => {
  it('keeps undeclared plugin.* keys as raw strings grouped by plugin', () => {
    const config = parseConfig(
      [
        'plugin.nginx.binary = /usr/sbin/nginx -g daemon_off',
        'plugin.nginx.reload = true',
        'plugin.puppetca.cadir = /etc/puppetlabs/puppet/ssl/ca',
      ].join('\n'),
    );
    expect(config.plugin('nginx')).toEqual({ binary: '/usr/sbin/nginx -g daemon_off', reload: 'true' });
    expect(config.plugin('puppetca')).toEqual({ cadir: '/etc/puppetlabs/puppet/ssl/ca' });
    expect(config.plugin('absent')).toEqual({});
    expect(config.values['plugin.nginx.reload']).toBe('true');
  });

  it('types declared plugin keys and still lists what was written under plugin()', () => {
    const config = parseConfig('plugin.nats.max_reconnect_wait = 2.5\nplugin.nats.user = ops\n');
    expect(config.get('plugin.nats.max_reconnect_wait')).toBe(2.5);
    expect(config.plugin('nats')).toEqual({ max_reconnect_wait: '2.5', user: 'ops' });
    expect(configError(() => parseConfig('plugin.nats.connect_timeout = soon')).code).toBe('CONFIG_BAD_VALUE');
  });
});

describe('parseConfig: main_collective', () => {
  it('accepts a main_collective that is one of collectives', () => {
    expect(parseConfig('collectives = eu,us\nmain_collective = us\n').get('main_collective')).toBe('us');
  });

  it('rejects a main_collective outside collectives, blaming its line', () => {
    const err = configError(() => parseConfig('collectives = eu,us\nmain_collective = asia\n', 's.cfg'));
    expect(err.code).toBe('CONFIG_BAD_VALUE');
    expect(err.key).toBe('main_collective');
    expect(err.line).toBe(2);
    expect(err.message).toContain('must be one of collectives (eu, us)');
  });

  it('rejects collectives that leave out an explicitly set main_collective', () => {
    const err = configError(() => parseConfig('main_collective = mcollective\ncollectives = eu\n', 's.cfg'));
    expect(err.key).toBe('main_collective');
    expect(err.line).toBe(1);
  });
});

describe('parseConfig: overrides', () => {
  it('lets overrides win over the file', () => {
    const config = parseConfig('ttl = 30\nidentity = a\n', 'c.cfg', { ttl: '90', 'plugin.nginx.reload': 'no' });
    expect(config.get('ttl')).toBe(90);
    expect(config.get('identity')).toBe('a');
    expect(config.plugin('nginx')).toEqual({ reload: 'no' });
  });

  it('validates overrides and names them as the source', () => {
    const bad = configError(() => parseConfig('', 'c.cfg', { ttl: 'forever' }));
    expect(bad.code).toBe('CONFIG_BAD_VALUE');
    expect(bad.line).toBeUndefined();
    expect(bad.message).toMatch(/^override: ttl:/);
    const unknown = configError(() => parseConfig('', 'c.cfg', { tll: '5' }));
    expect(unknown.code).toBe('CONFIG_UNKNOWN_KEY');
    expect(unknown.suggestion).toBe('ttl');
  });

  it('checks main_collective against overridden collectives', () => {
    expect(parseConfig('collectives = eu\n', undefined, { collectives: 'us,eu', main_collective: 'us' }).get('main_collective')).toBe('us');
  });
});
