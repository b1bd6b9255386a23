// `mco facts FACT --registry` and `mco inventory IDENTITY --registry`: the same reports, read from the node registry
// instead of asking every node. Instant and broadcast-free, and as fresh as the nodes' last registrations.
import { lookupFact, plainIdentities } from '../../filter/index.js';
import { maxAgeOption, queryRegistry, registeredNode, type RegistrySource } from '../discovery/registry.js';
import { DiscoveryError } from '../discovery/method.js';
import { registeredCount } from '../discovery/expect.js';
import { UsageError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import type { TargetOptions } from '../request.js';
import type { ClientSession } from '../session.js';
import { factRows, writeFactReport } from './facts.js';
import { flatten, list } from './inventory.js';
import { noNodesDiscovered } from './shared.js';
import type { OutputOptions } from './output.js';
import { roundMs } from '../render/json.js';

async function registryOf(session: ClientSession): Promise<RegistrySource> {
  if (!session.registry) throw new DiscoveryError('unavailable', 'this client has no registry');
  return session.registry();
}

const ageText = (ms: number) => `${Math.max(0, Math.round(ms / 1000))} s`;

export async function runRegistryFacts(session: ClientSession, fact: string, target: TargetOptions, o: OutputOptions): Promise<number> {
  if (!/^[\w\-.:]+$/.test(fact)) throw new UsageError(`'${fact}' is not a fact name`, 'fact names are letters, digits, _ - . and :');
  const source = await registryOf(session);
  const started = performance.now();
  const startTime = new Date();
  const answer = await queryRegistry(source, { filter: target.filter, collective: target.collective, maxAgeMs: maxAgeOption(target.discoveryOptions) });
  const readMs = performance.now() - started;
  if (answer.nodes.length === 0) return noNodesDiscovered(session, o.json);
  const rows = factRows(answer.nodes.map((n) => [n.record.identity, lookupFact(n.record.facts, fact)]));
  const oldestMs = Date.now() - Math.min(...answer.nodes.map((n) => n.storedAt));
  if (o.json) {
    const values = Object.fromEntries(rows.map(([v, nodes]) => [v, nodes.sort()]));
    session.out.write(JSON.stringify({ fact, values, source: 'registry', registry_stats: { nodes: answer.nodes.length, read_ms: roundMs(readMs), oldest_record_s: Math.round(oldestMs / 1000) } }, null, 2) + '\n');
    return EXIT.OK;
  }
  writeFactReport(session.out, fact, rows, o.verbose);
  if (!o.verbose) {
    session.out.write(`\nFinished reading ${answer.nodes.length} hosts from the registry in ${readMs.toFixed(2)} ms\n`);
  } else {
    const row = (label: string, value: string) => `${label.padStart(16)}: ${value}\n`;
    session.out.write(
      '---- registry stats ----\n' +
        row('Nodes', String(answer.nodes.length)) +
        row('Start Time', startTime.toISOString()) +
        row('Read Time', `${readMs.toFixed(2)}ms`) +
        row('Oldest Record', ageText(oldestMs)) +
        row('Max Age', answer.maxAgeMs > 0 ? ageText(answer.maxAgeMs) : 'none'),
    );
  }
  return EXIT.OK;
}

export async function runRegistryInventory(session: ClientSession, identity: string, target: TargetOptions, o: { json: boolean }): Promise<number> {
  if (!identity) throw new UsageError('inventory needs a node identity');
  if (!plainIdentities({ ...target.filter, identity: [identity] })) throw new UsageError('inventory takes one plain identity and no other filters');
  const node = await registeredNode(await registryOf(session), identity);
  if (!node) {
    session.err.write(`${identity} is not in the registry (never registered, or its record is older than the registry's max age)\n`);
    return EXIT.NO_RESPONSES;
  }
  const r = node.record;
  const lastSeen = new Date(r.last_seen * 1000);
  if (o.json) {
    const registration = { version: r.version, last_seen: r.last_seen, stored_at: Math.floor(node.storedAt / 1000) };
    const inventory = { agents: r.agents, facts: r.facts, classes: r.classes, version: r.version, main_collective: r.main_collective, collectives: r.collectives };
    session.out.write(JSON.stringify({ identity, source: 'registry', registration, inventory }, null, 2) + '\n');
    return EXIT.OK;
  }
  const row = (label: string, value: unknown) => `${label.padStart(25)}: ${value}\n`;
  const out = session.out;
  out.write(`Inventory for ${identity}:\n\n   Registration:\n`);
  out.write(row('Version', r.version));
  out.write(row('Last Seen', `${lastSeen.toISOString()} (${ageText(Date.now() - node.storedAt)} ago)`));
  out.write(row('Collectives', r.collectives.join(', ')));
  out.write(row('Main Collective', r.main_collective));
  out.write('\n   Agents:\n' + list(r.agents));
  out.write('\n   Configuration Management Classes:\n' + list(r.classes));
  out.write('\n   Facts:\n');
  for (const [k, v] of flatten(r.facts)) out.write(`      ${k} => ${v}\n`);
  return EXIT.OK;
}

/**
 * `mco ping --expect registry` (explicit) or `discovery_expect_from_registry` (not): how many registered nodes match
 * the ping's filter. Asked for explicitly, an unavailable registry is an error; otherwise a warning, and no count.
 */
export async function expectedFromRegistry(session: ClientSession, target: TargetOptions, explicit: boolean): Promise<number | undefined> {
  try {
    return await registeredCount(await registryOf(session), target.filter, target.collective);
  } catch (err) {
    if (explicit) throw err;
    session.err.write(`warning: no expected count from the registry (${(err as Error).message}); waiting for the quiet window\n`);
    return undefined;
  }
}

