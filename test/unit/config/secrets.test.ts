import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, ConfigError, describeConfigItem, isSecretKey, maskUrlCredentials, parseConfig } from '../../../src/config/index.js';

describe('isSecretKey', () => {
  it('knows the declared secrets, and no other declared key is one', () => {
    expect(CONFIG_KEYS.filter((k) => isSecretKey(k.name)).map((k) => k.name)).toEqual(['plugin.amqp.password']);
  });

  it('takes undeclared plugin keys whose names look like secrets for secrets', () => {
    for (const key of [
      'plugin.myagent.db_password',
      'plugin.vault.token',
      'plugin.x.api_key',
      'plugin.x.apikey',
      'plugin.x.secret_file',
      'plugin.ssl.key_passphrase',
      'plugin.x.pass',
      'plugin.x.admin-pw',
      'plugin.PSK.value',
      'plugin.x.AUTH_TOKEN',
      'plugin.x.credentials',
      'plugin.x.private_key',
    ]) {
      expect(isSecretKey(key), key).toBe(true);
    }
    for (const key of [
      'plugin.nginx.reload',
      'plugin.compass.bypass',
      'plugin.puppet.splay',
      'plugin.x.passenger',
      'plugin.security.key',
    ]) {
      expect(isSecretKey(key), key).toBe(false);
    }
  });
});

describe('maskUrlCredentials', () => {
  it('masks passwords, and a bare user that may be a token, in every URL of the text', () => {
    expect(maskUrlCredentials('amqp://ops:hunter2@mq1:5672,amqp://mq2:5672')).toBe('amqp://ops:[redacted]@mq1:5672,amqp://mq2:5672');
    expect(maskUrlCredentials('nats://s3cr3tt0ken@127.0.0.1:4222')).toBe('nats://[redacted]@127.0.0.1:4222');
    expect(maskUrlCredentials('https://deploy:p@ss@git.example.net/puppet.git')).toBe(
      'https://deploy:[redacted]@git.example.net/puppet.git',
    );
    expect(maskUrlCredentials('cannot connect to NATS at nats://a:b@h1:4222, nats://c:d@h2:4222: timeout')).toBe(
      'cannot connect to NATS at nats://a:[redacted]@h1:4222, nats://c:[redacted]@h2:4222: timeout',
    );
  });

  it('leaves text without credentials alone, an @ after the host included', () => {
    for (const text of [
      'nats://127.0.0.1:4222',
      'git@github.com:org/repo.git',
      'https://h/p?mail=a@b',
      'mailto a@b',
      '://@h',
      'x://' + 'a'.repeat(100_000),
    ]) {
      expect(maskUrlCredentials(text)).toBe(text);
    }
  });
});

describe('describeConfigItem and secrets', () => {
  const config = parseConfig(
    [
      'plugin.amqp.password = hunter2',
      'plugin.vault.token = t0k3n',
      'plugin.puppet.git_remote = https://deploy:hunter3@git.example.net/p.git',
      'plugin.amqp.user = ops',
    ].join('\n'),
  );

  it('refuses secret keys with CONFIG_SECRET, set or at their default, never with the value', () => {
    for (const key of ['plugin.amqp.password', 'plugin.vault.token']) {
      let thrown: unknown;
      try {
        describeConfigItem(config, key);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(ConfigError);
      expect(thrown).toMatchObject({ code: 'CONFIG_SECRET', key });
      expect((thrown as Error).message).not.toMatch(/hunter2|t0k3n/);
    }
    expect(() => describeConfigItem(parseConfig(''), 'plugin.amqp.password')).toThrow(expect.objectContaining({ code: 'CONFIG_SECRET' }));
  });

  it('shows other keys, with the credentials of URLs masked', () => {
    expect(describeConfigItem(config, 'plugin.amqp.user')).toBe('ops');
    expect(describeConfigItem(config, 'plugin.puppet.git_remote')).toBe('https://deploy:[redacted]@git.example.net/p.git');
  });
});

describe('config errors do not quote secrets', () => {
  const messageOf = (text: string): string => {
    try {
      parseConfig(text, 'server.cfg');
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error('parsed');
  };

  it('masks URL credentials in a bad value', () => {
    const message = messageOf('middleware_hosts = nats://ops:hunter2@');
    expect(message).toContain('server.cfg:1');
    expect(message).toContain('nats://ops:[redacted]@');
    expect(message).not.toContain('hunter2');
  });

  it('does not quote a line without "=" that looks like a secret', () => {
    expect(messageOf('ttl = 5\nplugin.amqp.password hunter2')).not.toContain('hunter2');
    expect(messageOf('=hunter2')).not.toContain('hunter2');
    expect(messageOf('just words')).toContain('"just words"');
  });
});
