// Who a certificate of the troupe CA is on the broker. A node serves requests; an operator sends them.
import type { X509Certificate } from 'node:crypto';

export type BrokerRole = 'node' | 'operator';

export interface RoleRules {
  /** Certificate names that send requests: `plugin.security.client_pattern`, the rule the daemons apply to a request's signer. */
  operatorPattern: RegExp;
}

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/**
 * The broker role of a certificate named `name`, or undefined when it cannot log in to the broker at all: its
 * extended key usage leaves out TLS client authentication (the broker's own certificate, the CA service's).
 *
 * The one place deciding it, so a CA that records roles of its own (an operator certificate profile) plugs in
 * here. Today it follows the daemons: a name they accept as a requester is an operator, any other a node.
 */
export function brokerRoleOf(name: string, cert: X509Certificate, rules: RoleRules): BrokerRole | undefined {
  const usage = cert.keyUsage; // extended key usage OIDs; undefined when the certificate does not restrict them
  if (usage && !usage.includes(CLIENT_AUTH)) return undefined;
  return rules.operatorPattern.test(name) ? 'operator' : 'node';
}
