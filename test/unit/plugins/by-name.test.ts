// Plugins are found by name: what the configuration accepts is exactly what is registered.
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, parseConfig } from '../../../src/config/index.js';
import { CONNECTORS, connectorFromConfig } from '../../../src/transport/factory.js';
import { AmqpConnector } from '../../../src/transport/amqp.js';
import { NatsConnector } from '../../../src/transport/nats.js';
import { builtinAgents } from '../../../src/plugins/agents/index.js';
import { SECURITY_PROVIDERS, securityFromConfig } from '../../../src/security/from-config.js';
import { InsecureProvider } from '../../../src/security/providers/insecure.js';

const enumValues = (name: string) => {
  const key = CONFIG_KEYS.find((k) => k.name === name);
  return key?.type === 'enum' ? key.values : undefined;
};

describe('plugins by name', () => {
  it('the connector key accepts exactly the registered connectors, and each builds its own kind', () => {
    expect(enumValues('connector')).toEqual([...CONNECTORS.keys()]);
    const role = { name: 'test', waitForBroker: false };
    expect(connectorFromConfig(parseConfig('connector = nats'), role)).toBeInstanceOf(NatsConnector);
    const amqp = connectorFromConfig(parseConfig('connector = amqp\nmiddleware_hosts = amqp://127.0.0.1:5999'), role);
    expect(amqp).toBeInstanceOf(AmqpConnector);
    expect('jetStream' in amqp && amqp.jetStream !== undefined).toBe(false);
  });

  it('the securityprovider key accepts exactly the registered providers, and each is built by its own', () => {
    expect([...SECURITY_PROVIDERS.keys()].sort()).toEqual([...(enumValues('securityprovider') ?? [])].sort());
    expect(securityFromConfig(parseConfig('securityprovider = insecure'), 'client')).toBeInstanceOf(InsecureProvider);
    // pki without a CA fails in its own provider, with its own error.
    expect(() => securityFromConfig(parseConfig('securityprovider = pki'), 'client')).toThrow(/CA certificate/);
  });

  it('every built-in agent has a name of its own, the discovery agent among them', () => {
    const names = builtinAgents().map((a) => a.ddl.metadata.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(['discovery', 'rpcutil', 'puppet']));
  });
});
