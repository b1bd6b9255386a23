// `mco facts FACT --registry` and `mco inventory IDENTITY --registry`: the same reports, read from the node registry
// instead of asking every node. Instant and broadcast-free, and as fresh as the nodes' last registrations.
import { lookupFact, plainIdentities } from '../../filter/index.js';
import type { RegistrationRecord } from '../../protocol/index.js';
import type { UnansweredSite } from '../discovery/method.js';
import { lookUpNode, maxAgeOption, queryRegistry, type RegistrySource } from '../discovery/registry.js';
import { DiscoveryError } from '../discovery/method.js';
import { registeredCount } from '../discovery/expect.js';
import { UsageError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import type { TargetOptions } from '../request.js';
import type { ClientSession } from '../session.js';
import { checkFactName, factRows, type FactRow } from './facts.js';
import { noNodes, type NoNodes } from './shared.js';

async function registryOf(session: ClientSession): Promise<RegistrySource> {
  if (!session.registry) throw new DiscoveryError('unavailable', 'this client has no registry');
  return session.registry();
}

export interface RegistryFactsReport {
  kind: 'registry_facts';
  fact: string;
  /** The most common value first. */
  rows: FactRow[];
  /** Matching registered nodes. */
  nodes: number;
  startTime: Date;
  readMs: number;
  /** Age of the oldest record read. */
  oldestMs: number;
  /** The registry's own max age; 0 when it has none. */
  maxAgeMs: number;
  /** Sites whose registries did not answer: their nodes are not counted. */
  unanswered: UnansweredSite[];
  exitCode: typeof EXIT.OK | typeof EXIT.SOME_FAILED;
}

export type RegistryFactsOutcome = RegistryFactsReport | NoNodes;

export async function runRegistryFacts(session: ClientSession, fact: string, target: TargetOptions): Promise<RegistryFactsOutcome> {
  checkFactName(fact);
  const source = await registryOf(session);
  const started = performance.now();
  const startTime = new Date();
  const answer = await queryRegistry(source, {
    filter: target.filter,
    collective: target.collective,
    maxAgeMs: maxAgeOption(target.discoveryOptions),
  });
  const readMs = performance.now() - started;
  if (answer.nodes.length === 0) return noNodes();
  const rows = factRows(answer.nodes.map((n) => [n.record.identity, lookupFact(n.record.facts, fact)]));
  const oldestMs = Date.now() - Math.min(...answer.nodes.map((n) => n.storedAt));
  return {
    kind: 'registry_facts',
    fact,
    rows,
    nodes: answer.nodes.length,
    startTime,
    readMs,
    oldestMs,
    maxAgeMs: answer.maxAgeMs,
    unanswered: answer.unanswered,
    exitCode: answer.unanswered.length > 0 ? EXIT.SOME_FAILED : EXIT.OK,
  };
}

export type RegistryInventoryOutcome =
  | {
      kind: 'registry_inventory';
      identity: string;
      record: RegistrationRecord;
      /** When the registry stored the record (ms since the epoch), and how long ago that was when it was read. */
      storedAt: number;
      ageMs: number;
      /** Sites whose registries did not answer: one may hold a newer record (the node moved there). */
      unanswered: UnansweredSite[];
      exitCode: typeof EXIT.OK | typeof EXIT.SOME_FAILED;
    }
  /** Never registered, or its record is older than the registry's max age; or at a site that did not answer. */
  | { kind: 'not_registered'; identity: string; unanswered: UnansweredSite[]; exitCode: typeof EXIT.NO_RESPONSES };

export async function runRegistryInventory(
  session: ClientSession,
  identity: string,
  target: TargetOptions,
): Promise<RegistryInventoryOutcome> {
  if (!identity) throw new UsageError('inventory needs a node identity');
  if (!plainIdentities({ ...target.filter, identity: [identity] }))
    throw new UsageError('inventory takes one plain identity and no other filters');
  const { node, unanswered } = await lookUpNode(await registryOf(session), identity);
  // As haltCode: the one node asked for not found is 3, found with a site unheard from is 2.
  if (!node) return { kind: 'not_registered', identity, unanswered, exitCode: EXIT.NO_RESPONSES };
  return {
    kind: 'registry_inventory',
    identity,
    record: node.record,
    storedAt: node.storedAt,
    ageMs: Date.now() - node.storedAt,
    unanswered,
    exitCode: unanswered.length > 0 ? EXIT.SOME_FAILED : EXIT.OK,
  };
}

/**
 * `mco ping --expect registry` (explicit) or `discovery_expect_from_registry` (not): how many registered nodes match
 * the ping's filter. Asked for explicitly, an unavailable registry is an error; otherwise a warning, and no count.
 */
export async function expectedFromRegistry(
  session: ClientSession,
  target: TargetOptions,
  explicit: boolean,
): Promise<{ count?: number; warning?: string }> {
  try {
    return { count: await registeredCount(await registryOf(session), target.filter, target.collective) };
  } catch (err) {
    if (explicit) throw err;
    return { warning: `no expected count from the registry (${(err as Error).message}); waiting for the quiet window` };
  }
}
