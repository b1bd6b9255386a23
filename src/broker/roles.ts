// Who a certificate of the troupe CA is on the broker. A node serves requests; an operator sends them.
import type { X509Certificate } from 'node:crypto';
import { parseCertificate } from '../security/pki/certificate.js';
import { BROKER_ROLE, OPERATOR_ROLE } from '../security/pki/x509-read.js';

export type BrokerRole = 'node' | 'operator';

export interface RoleRules {
  /** Certificate names that send requests: `plugin.security.client_pattern`, the rule the daemons apply to a request's signer. */
  operatorPattern: RegExp;
}

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

/**
 * The broker role of a certificate named `name`, or undefined when it cannot log in to the broker at all: its
 * extended key usage leaves out TLS client authentication (the broker's own certificate, the CA service's).
 *
 * It follows the daemons: an operator is a certificate they accept as a requester, one whose name matches the
 * pattern and that carries the operator role (pp_auth_role) the CA sets only on explicit signing; any other is a node.
 * A broker certificate is neither: brokers meet on routes, gateways and leafnodes, never as a client user.
 */
export function brokerRoleOf(name: string, cert: X509Certificate, rules: RoleRules): BrokerRole | undefined {
  const usage = cert.keyUsage; // extended key usage OIDs; undefined when the certificate does not restrict them
  if (usage && !usage.includes(CLIENT_AUTH)) return undefined;
  const role = parseCertificate(cert.raw).authRole;
  if (role === BROKER_ROLE) return undefined;
  if (!rules.operatorPattern.test(name)) return 'node';
  return role === OPERATOR_ROLE ? 'operator' : 'node';
}

/** A certificate of the broker profile: server and client TLS use and the broker role, so it may join other brokers. */
export function isBrokerCertificate(cert: X509Certificate): boolean {
  const usage = cert.keyUsage;
  if (usage && !(usage.includes(CLIENT_AUTH) && usage.includes(SERVER_AUTH))) return false;
  return parseCertificate(cert.raw).authRole === BROKER_ROLE;
}
