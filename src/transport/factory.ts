// Picks the concrete transport named by `connector`. Only composition roots (the CLI) import this.
import type { Config } from '../config/index.js';
import { TransportError, type Connector } from './connector.js';
import { NatsConnector } from './nats.js';
import { AmqpConnector } from './amqp.js';

export function connectorFromConfig(config: Config, role: { name: string; waitForBroker: boolean }): Connector {
  const kind = config.get('connector');
  const servers = config.get('middleware_hosts');
  if (kind === 'nats') {
    return new NatsConnector({
      servers,
      name: role.name,
      waitForBroker: role.waitForBroker,
      connectTimeoutMs: config.get('plugin.nats.connect_timeout') * 1000,
      maxReconnectWaitMs: config.get('plugin.nats.max_reconnect_wait') * 1000,
      tls: natsTls(config),
    });
  }
  if (kind === 'amqp') {
    return new AmqpConnector({
      servers,
      name: role.name,
      waitForBroker: role.waitForBroker,
      vhost: config.get('plugin.amqp.vhost'),
      user: config.get('plugin.amqp.user'),
      password: config.get('plugin.amqp.password'),
      heartbeatSeconds: config.get('plugin.amqp.heartbeat'),
      connectTimeoutMs: config.get('plugin.amqp.connect_timeout') * 1000,
      maxReconnectWaitMs: config.get('plugin.amqp.max_reconnect_wait') * 1000,
      tls: { ca: config.get('tls_ca') || undefined, cert: config.get('tls_cert') || undefined, key: config.get('tls_key') || undefined, serverName: config.get('tls_server_name') || undefined },
      queueLimits: { messageTtlMs: config.get('plugin.amqp.message_ttl') * 1000, maxLength: config.get('plugin.amqp.max_queue_length') },
    });
  }
  throw new TransportError('bad_address', `connector '${kind}' is not available in this build`);
}

/** TLS settings for NATS; any of tls_ca, tls_cert or tls_key turns TLS on. */
function natsTls(config: Config): { ca?: string; cert?: string; key?: string; serverName?: string } | undefined {
  const tls = { ca: config.get('tls_ca') || undefined, cert: config.get('tls_cert') || undefined, key: config.get('tls_key') || undefined };
  if (!tls.ca && !tls.cert && !tls.key) return undefined;
  return { ...tls, serverName: config.get('tls_server_name') || undefined };
}
