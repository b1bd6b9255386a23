// Which name the broker's TLS certificate must carry, checked the same way for NATS and RabbitMQ.
//
// Node's own check falls back to the certificate's common name when it lists no DNS names, and nats.js hands
// tls.connect an already-open socket with no servername for an IP address, so Node checked the certificate
// against 'localhost' instead of the address dialled: a certificate naming only DNS:localhost passed for
// nats://127.0.0.2, one naming IP:127.0.0.1 failed. Here the name is the one asked for (tls_server_name), else
// the host dialled; an IP must be one of the certificate's IP subjectAltNames, a name one of its DNS names,
// and the common name never counts (as in browsers and Go).
import { isIP, type Socket } from 'node:net';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { TroupeError, type ErrorCodeTable } from '../errors.js';

export type ServerIdentityCheck = (this: unknown, hostname: string, cert: PeerCertificate) => Error | undefined;

/** What tls.connect passes as `this` to checkServerIdentity: the options it was called with. */
interface ConnectOptionsSeen {
  servername?: string;
  host?: string;
  socket?: Socket;
}

export const BROKER_IDENTITY_ERROR_CODES = {
  broker_name_mismatch: "the broker's TLS certificate does not name the host dialled in its subjectAltName",
} as const satisfies ErrorCodeTable;

export class BrokerIdentityError extends TroupeError {
  override readonly name = 'BrokerIdentityError';
  declare readonly code: keyof typeof BROKER_IDENTITY_ERROR_CODES;
  constructor(message: string) {
    super('broker_name_mismatch', message);
  }
}

/** Checks `cert` for `host` (a DNS name or an IP address) by its subjectAltNames only. */
export function verifyBrokerName(host: string, cert: PeerCertificate): Error | undefined {
  const bare = host.replace(/^\[|\]$/g, '');
  // Without the subject, Node's check has no common name to fall back to.
  const failed = checkServerIdentity(bare, { subjectaltname: cert.subjectaltname ?? '' } as PeerCertificate);
  if (!failed) return undefined;
  const kind = isIP(bare) ? 'IP address' : 'host name';
  const names = cert.subjectaltname?.trim() ? `it names ${cert.subjectaltname.trim()}` : 'it has no subjectAltName';
  return new BrokerIdentityError(
    `the broker's TLS certificate is not valid for the ${kind} ${bare} (${names}; a common name does not count). Set tls_server_name if the broker is known by another name`,
  );
}

/**
 * A checkServerIdentity for tls.connect. `serverName` (tls_server_name) wins; otherwise the host comes from the
 * connect options tls.connect passes as `this`: their servername (nats.js sets it for DNS hosts), host, or the
 * remote address of the socket that was dialled. When none tells, the connection is refused, never waved through.
 */
export function brokerIdentityCheck(serverName?: string): ServerIdentityCheck {
  return function check(this: unknown, _defaulted: string, cert: PeerCertificate): Error | undefined {
    const seen = (this ?? {}) as ConnectOptionsSeen;
    const host = serverName || seen.servername || seen.host || seen.socket?.remoteAddress;
    if (!host)
      return new BrokerIdentityError('cannot tell which broker address this TLS connection reached, so its certificate cannot be checked');
    return verifyBrokerName(host, cert);
  };
}
