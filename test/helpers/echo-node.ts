// A bare NATS connector standing in for a daemon in the lame-duck tests: it answers every request on
// `mcollective.broadcast.agent.echo` with the request's own bytes, and records its connector's events.
import { broadcastSubject } from '../../src/protocol/index.js';
import type { ConnectorEvent } from '../../src/transport/connector.js';
import { NatsConnector, type NatsConnectorOptions } from '../../src/transport/nats.js';

export const ECHO_SUBJECT = broadcastSubject('mcollective', 'echo');

export async function startEchoNode(opts: NatsConnectorOptions, events: ConnectorEvent[] = []): Promise<NatsConnector> {
  const node = new NatsConnector(opts);
  node.onEvent((e) => events.push(e));
  await node.connect();
  await node.subscribe({ kind: 'broadcast', collective: 'mcollective', agent: 'echo' }, (m) => {
    if (m.replyTo) void node.reply(m.replyTo, m.data);
  });
  await node.flush();
  return node;
}
