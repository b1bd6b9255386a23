// A dispatcher wired to fakes: a node with fixed facts, agents defined by the test, a logger that keeps its lines.
import { pino } from 'pino';
import { parseDDL } from '../../../src/ddl/index.js';
import { emptyFilter, type Filter } from '../../../src/filter/index.js';
import { checkSecureReply, decodeFrame, decodeReply, type ReplyEnvelope, type RequestEnvelope } from '../../../src/protocol/index.js';
import { craftRequest, unsignedFrame } from '../../helpers/requests.js';
import { InsecureProvider, type SecurityProvider } from '../../../src/security/index.js';
import type { AgentPlugin, NodeInfo } from '../../../src/server/agent.js';
import { Dispatcher, type Authorizer, type Outcome } from '../../../src/server/dispatcher.js';
import type { DataPlugin } from '../../../src/server/data.js';
import { ServerStats } from '../../../src/server/stats.js';

export const IDENTITY = 'node1.example.net';

export function agentDDL(name: string, actions: Record<string, unknown>, timeout = 5) {
  return parseDDL(
    {
      metadata: {
        name,
        description: `${name} test agent`,
        author: 'troupe',
        license: 'Apache-2.0',
        version: '1.0.0',
        url: 'https://example.org',
        timeout,
      },
      actions,
    },
    `${name} (test)`,
  );
}

export interface Harness {
  dispatcher: Dispatcher;
  stats: ServerStats;
  logLines: () => Array<Record<string, unknown>>;
}

export function harness(o: {
  agents: AgentPlugin[];
  maxMessageSize?: number;
  security?: SecurityProvider;
  authorizer?: Authorizer;
  facts?: Record<string, unknown>;
  dataPlugins?: DataPlugin[];
  settingsFor?: (name: string) => Readonly<Record<string, string>>;
}): Harness {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) });
  const stats = new ServerStats();
  const facts = o.facts ?? { role: 'web', os: { family: 'Debian' } };
  const node: NodeInfo = {
    identity: IDENTITY,
    collectives: ['mcollective', 'dev'],
    mainCollective: 'mcollective',
    version: 'test',
    facts: () => facts,
    classes: () => ['base'],
    agents: () => o.agents.map((a) => a.ddl),
    stats: () => stats.snapshot(),
    configItem: () => undefined,
  };
  const dispatcher = new Dispatcher({
    node,
    agents: new Map(o.agents.map((a) => [a.ddl.metadata.name, a])),
    security: o.security ?? new InsecureProvider('user=test'),
    stats,
    logger,
    maxMessageSize: o.maxMessageSize ?? 64 * 1024,
    authorizer: o.authorizer,
    settingsFor: o.settingsFor ?? (() => ({})),
    dataPlugins: new Map((o.dataPlugins ?? []).map((p) => [p.ddl.metadata.name, p])),
    view: () => ({ identity: IDENTITY, facts, classes: ['base'], agents: o.agents.map((a) => a.ddl.metadata.name) }),
  });
  return { dispatcher, stats, logLines: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

export function requestEnvelope(
  agent: string,
  action: string,
  data: Record<string, unknown> = {},
  over: Partial<RequestEnvelope> = {},
): RequestEnvelope {
  return craftRequest('user=test', { sender: 'client.ab12cd34', agent, message: { agent, action, data }, ...over });
}

export function frameOf(req: RequestEnvelope | Record<string, unknown>, replyTo = 'mcollective.reply.client.ab12cd34.x'): Uint8Array {
  return unsignedFrame(req, replyTo, 'client.ab12cd34');
}

export function filterWith(over: Partial<Filter>): Filter {
  return { ...emptyFilter(), ...over };
}

/** The reply envelope inside a dispatch outcome. */
export function replyOf(outcome: Outcome | undefined): ReplyEnvelope {
  if (!outcome?.frame) throw new Error('expected a reply');
  return decodeReply(checkSecureReply(decodeFrame(outcome.frame, 1 << 20).data).reply);
}
