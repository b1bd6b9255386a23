// Broker URLs (amqp:// or amqps://, several for failover) into what amqplib needs to open each connection.
import { readFileSync } from 'node:fs';
import type { Options, SocketOptions } from 'amqplib';
import { maskUrlCredentials } from '../../config/secrets.js';
import { TransportError } from '../connector.js';
import { brokerIdentityCheck } from '../tls-identity.js';

export interface AmqpSettings {
  vhost: string;
  user: string;
  password: string;
  /** 0 turns heartbeats off. */
  heartbeatSeconds: number;
}

export interface TlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
  /** The name the broker's certificate must carry, when not the URL's host. */
  serverName?: string;
}

export interface Endpoint {
  /** The URL without credentials, for logs and errors. */
  label: string;
  connect: Options.Connect;
  socket: SocketOptions;
}

/**
 * A URL's own user, password, vhost (its path, URL-encoded: `/%2f` is `/`) and `?heartbeat=` win over the settings,
 * so one broker of several can differ.
 */
export function endpointsFrom(servers: readonly string[], settings: AmqpSettings, tls?: TlsFiles): Endpoint[] {
  if (servers.length === 0) throw new TransportError('bad_address', 'no RabbitMQ servers configured (middleware_hosts)');
  return servers.map((server) => endpointFrom(server, settings, tls));
}

function endpointFrom(server: string, settings: AmqpSettings, tls?: TlsFiles): Endpoint {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new TransportError(
      'bad_address',
      `'${maskUrlCredentials(server)}' is not a broker URL; RabbitMQ needs amqp://host:5672 or amqps://host:5671`,
    );
  }
  const secure = url.protocol === 'amqps:';
  if (!secure && url.protocol !== 'amqp:') {
    throw new TransportError(
      'bad_address',
      `'${maskUrlCredentials(server)}' is not an AMQP URL: with connector = amqp, middleware_hosts takes amqp://host:5672 or amqps://host:5671`,
    );
  }
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port ? Number(url.port) : secure ? 5671 : 5672;
  const vhost = url.pathname.length > 1 ? decodeURIComponent(url.pathname.slice(1)) : settings.vhost;
  const heartbeat = url.searchParams.has('heartbeat') ? Number(url.searchParams.get('heartbeat')) : settings.heartbeatSeconds;
  if (!Number.isInteger(heartbeat) || heartbeat < 0)
    throw new TransportError('bad_address', `'${maskUrlCredentials(server)}': heartbeat must be a whole number of seconds`);
  return {
    label: `${url.protocol}//${url.host}/${encodeURIComponent(vhost)}`,
    connect: {
      protocol: secure ? 'amqps' : 'amqp',
      hostname,
      port,
      username: url.username ? decodeURIComponent(url.username) : settings.user,
      password: url.password ? decodeURIComponent(url.password) : settings.password,
      vhost,
      heartbeat,
    },
    socket: secure ? tlsSocketOptions(tls) : {},
  };
}

function tlsSocketOptions(tls: TlsFiles = {}): SocketOptions {
  const read = (what: string, path?: string): Buffer | undefined => {
    if (!path) return undefined;
    try {
      return readFileSync(path);
    } catch (err) {
      throw new TransportError('connect_failed', `cannot read the TLS ${what} ${path}: ${(err as Error).message}`, { cause: err });
    }
  };
  const options: SocketOptions = {};
  const ca = read('CA', tls.ca);
  const cert = read('certificate', tls.cert);
  const key = read('key', tls.key);
  if (ca) options.ca = ca;
  if (cert) options.cert = cert;
  if (key) options.key = key;
  if (tls.serverName) options.servername = tls.serverName;
  // amqplib passes the URL's host to tls.connect; the check refuses a name found only in the common name.
  options.checkServerIdentity = brokerIdentityCheck(tls.serverName);
  return options;
}
