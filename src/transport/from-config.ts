// What every connector reads from configuration alike: the role of the connection and the TLS files to the broker.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Config } from '../config/index.js';
import { TransportError, type Connector } from './connector.js';

export interface ConnectorRole {
  /** Shown in the broker's connection list. */
  name: string;
  waitForBroker: boolean;
  /** The node this connection is for: `{identity}` in tls_cert and tls_key becomes it (one config for a simulated fleet). */
  identity?: string;
  /** The domain Facter reports for this host (a node's facts), where use_srv looks brokers up unless srv_domain is set. */
  factDomain?: () => string | undefined;
}

/** A connector found by its `connector` name (transport/factory.ts lists them), made from configuration. */
export interface ConnectorPlugin {
  readonly name: string;
  create(config: Config, role: ConnectorRole): Connector;
}

export interface TlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
  serverName?: string;
}

/** TLS settings; for NATS any of tls_ca, tls_cert or tls_key turns TLS on (amqps:// URLs do for RabbitMQ). */
export function tlsFiles(config: Config, identity?: string): TlsFiles {
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
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new TransportError('connect_failed', `TLS certificate ${certFile} not found (tls_cert)`, { cause: err });
    throw new TransportError(
      'connect_failed',
      `cannot read the TLS certificate ${certFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      { cause: err },
    );
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
