// Subject layout (as Choria's): the logical addresses every transport maps onto its own broker.
//   <collective>.broadcast.agent.<agent>      requests to every node hosting <agent>
//   <collective>.node.<identity>              requests to one node
//   <collective>.reply.<sender>.<requestid>   replies to one request

/** Names that are safe as (dotted) subject parts: no spaces, no NATS wildcards. */
const NAME = /^[A-Za-z0-9_\-:]+(\.[A-Za-z0-9_\-:]+)*$/;

export function isValidName(value: string): boolean {
  return value.length > 0 && value.length <= 255 && NAME.test(value);
}

export function broadcastSubject(collective: string, agent: string): string {
  return `${collective}.broadcast.agent.${agent}`;
}

export function nodeSubject(collective: string, identity: string): string {
  return `${collective}.node.${identity}`;
}

export function replySubject(collective: string, sender: string, requestId: string): string {
  return `${collective}.reply.${sender}.${requestId}`;
}
