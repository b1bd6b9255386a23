// Subject layout (as Choria's): the logical addresses every transport maps onto its own broker.
//   <collective>.broadcast.agent.<agent>      requests to every node hosting <agent>
//   <collective>.node.<identity>              requests to one node
//   <collective>.reply.<sender>.<requestid>   replies to one request
// Over mutual TLS a client's sender starts with the token of its certificate name, so the broker can let each
// client read its own replies only (see broker/).
import { createHash } from 'node:crypto';

/** Names that are safe as (dotted) subject parts: no spaces, no NATS wildcards. */
const NAME = /^[A-Za-z0-9_\-:]+(\.[A-Za-z0-9_\-:]+)*$/;

export function isValidName(value: string): boolean {
  return value.length > 0 && value.length <= 255 && NAME.test(value);
}

/** The agent every node hosts and answers when a request's filter matches it: broadcast discovery asks it. */
export const DISCOVERY_AGENT = 'discovery';

export function broadcastSubject(collective: string, agent: string): string {
  return `${collective}.broadcast.agent.${agent}`;
}

export function nodeSubject(collective: string, identity: string): string {
  return `${collective}.node.${identity}`;
}

export function replySubject(collective: string, sender: string, requestId: string): string {
  return `${collective}.reply.${sender}.${requestId}`;
}

/**
 * One subject token standing for a broker identity (the name in its TLS certificate): 32 hex characters of the
 * name's SHA-256, as Choria hashes its caller ids. A raw certname would not do: its dots make several tokens, so
 * `mcollective.reply.ops.>` would also match the replies of `ops.troupe`.
 */
export function identityToken(certname: string): string {
  return createHash('sha256').update(certname, 'utf8').digest('hex').slice(0, 32);
}

/** The sender of a client known to the broker as `certname`: its replies arrive on `<c>.reply.<token>.…`. */
export function senderFor(certname: string, suffix: string): string {
  return `${identityToken(certname)}.${suffix}`;
}

/** The prefix of every NATS inbox (`_INBOX.<token>.…`) of a connection known to the broker as `certname`. */
export function inboxPrefixFor(certname: string): string {
  return `_INBOX.${identityToken(certname)}`;
}
