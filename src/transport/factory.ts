// Picks the concrete transport named by `connector`. Only composition roots (the CLI) import this.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Config } from '../config/index.js';
import { inboxPrefixFor } from '../protocol/index.js';
import { TransportError, type Connector } from './connector.js';
import { NatsConnector } from './nats.js';
import { AmqpConnector } from './amqp.js';

export interface ConnectorRole {
  /** Shown in the broker's connection list. */
  name: string;
  waitForBroker: boolean;
  /** The node this connection is for: `{identity}` in tls_cert and tls_key becomes it (one config for a simulated fleet). */
  identity?: string;
}

export function connectorFromConfig(config: Config, role: ConnectorRole): Connector {
  // Widened: a config file may name a connector this build does not have.
  const kind: string = config.get('connector');
  const servers = config.get('middleware_hosts');
  const files = tlsFiles(config, role.identity);
  if (kind === 'nats') {
    const tls = files.ca || files.cert || files.key ? files : undefined;
    const certname = files.cert ? certnameOf(files.cert) : undefined;
    return new NatsConnector({
      servers,
      name: role.name,
      waitForBroker: role.waitForBroker,
      connectTimeoutMs: config.get('plugin.nats.connect_timeout') * 1000,
      maxReconnectWaitMs: config.get('plugin.nats.max_reconnect_wait') * 1000,
      tls,
      // The broker lets a certificate subscribe only to its own inboxes (broker/permissions.ts).
      inboxPrefix: certname ? inboxPrefixFor(certname) : undefined,
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
      tls: files,
      queueLimits: { messageTtlMs: config.get('plugin.amqp.message_ttl') * 1000, maxLength: config.get('plugin.amqp.max_queue_length') },
    });
  }
  throw new TransportError('bad_address', `connector '${kind}' is not available in this build`);
}

interface TlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
  serverName?: string;
}

/** TLS settings; for NATS any of tls_ca, tls_cert or tls_key turns TLS on (amqps:// URLs do for RabbitMQ). */
function tlsFiles(config: Config, identity?: string): TlsFiles {
  const perNode = (path: string) => (identity === undefined ? path : path.split('{identity}').join(identity)) || undefined;
  return {
    ca: config.get('tls_ca') || undefined,
    cert: perNode(config.get('tls_cert')),
    key: perNode(config.get('tls_key')),
    serverName: config.get('tls_server_name') || undefined,
  };
}

/**
 * The name a TLS client certificate gives its holder on the broker: its common name, which is how `mco broker
 * config` lists it (and the certname the troupe CA issued it for).
 */
export function certnameOf(certFile: string): string {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(readFileSync(certFile));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new TransportError('connect_failed', `TLS certificate ${certFile} not found (tls_cert)`, { cause: err });
    throw new TransportError('connect_failed', `cannot read the TLS certificate ${certFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  const cn = /^CN=(.+)$/m.exec(cert.subject)?.[1];
  if (!cn) throw new TransportError('connect_failed', `the TLS certificate ${certFile} has no common name to be known by on the broker`);
  return cn;
}

/** The certificate name this process shows the broker (tls_cert's common name), when it uses one. */
export function brokerCertname(config: Config, identity?: string): string | undefined {
  const cert = tlsFiles(config, identity).cert;
  return cert ? certnameOf(cert) : undefined;
}
