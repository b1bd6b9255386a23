// mco inventory IDENTITY [--registry]: one node's statistics (or registration), agents, classes and facts;
// mco inventory --list-collectives: how many nodes are in each collective.
import type { CollectivesOutcome, InventoryOutcome } from '../apps/inventory.js';
import type { RegistryInventoryOutcome } from '../apps/registry.js';
import { ageText } from './facts.js';
import { json, toErr, toOut, type Rendered, type RenderOptions } from './rendered.js';
import { renderNoNodes } from './request.js';
import { formatStats } from './text.js';

export function list(items: readonly string[]): string {
  if (!items.length) return '      (none)\n';
  return items.map((i) => `      ${i}`).join('\n') + '\n';
}

/** Structured facts shown as dotted paths, as they are addressed in filters. */
export function flatten(obj: Record<string, unknown>, prefix = ''): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(obj).sort(([a], [b]) => a.localeCompare(b))) {
    const key = prefix + k;
    if (v && typeof v === 'object' && !Array.isArray(v)) out.push(...flatten(v as Record<string, unknown>, key + '.'));
    else out.push([key, typeof v === 'string' ? v : JSON.stringify(v)]);
  }
  return out;
}

const row = (label: string, value: unknown) => `${label.padStart(25)}: ${String(value)}\n`;

function agentsClassesFacts(agents: readonly string[], classes: readonly string[], facts: Record<string, unknown>): string {
  let text = '\n   Agents:\n' + list(agents);
  text += '\n   Configuration Management Classes:\n' + list(classes);
  text += '\n   Facts:\n';
  for (const [k, v] of flatten(facts)) text += `      ${k} => ${v}\n`;
  return text;
}

export function renderInventory(o: InventoryOutcome, opts: { json: boolean }): Rendered {
  if (o.kind === 'no_response') return toErr(`Did not receive a response from ${o.identity}\n`);
  if (opts.json) return toOut(json({ identity: o.identity, stats: o.stats, inventory: o.inventory }));
  const s = o.stats;
  const d = o.inventory;
  let text = `Inventory for ${o.identity}:\n\n   Server Statistics:\n`;
  text += row('Version', s.version);
  text += row('Start Time', new Date(Number(s.starttime) * 1000).toISOString());
  text += row('Config File', s.configfile || '(none)');
  text += row('Collectives', (d.collectives as string[]).join(', '));
  text += row('Main Collective', d.main_collective);
  text += row('Process ID', s.pid);
  text += row('Total Messages', s.total);
  text += row('Messages Passed Filters', s.passed);
  text += row('Messages Filtered', s.filtered);
  text += row('Expired Messages', s.ttlexpired);
  text += row('Replies Sent', s.replies);
  const rejected = Object.entries((s.rejected ?? {}) as Record<string, number>);
  text += row('Rejected Messages', rejected.length ? rejected.map(([k, v]) => `${k}=${v}`).join(', ') : 0);
  const times = (s.times ?? {}) as Record<string, number>;
  text += row('Total Processor Time', `${(times.utime ?? 0).toFixed(2)} seconds`);
  text += row('System Time', `${(times.stime ?? 0).toFixed(2)} seconds`);
  return toOut(text + agentsClassesFacts(d.agents as string[], d.classes as string[], d.facts as Record<string, unknown>));
}

export function renderRegistryInventory(o: RegistryInventoryOutcome, opts: { json: boolean }): Rendered {
  if (o.kind === 'not_registered') {
    const where = o.unanswered.length > 0 ? ' of the sites that answered' : '';
    return toErr(`${o.identity} is not in the registry${where} (never registered, or its record is older than the registry's max age)\n`);
  }
  const r = o.record;
  if (opts.json) {
    const registration = { version: r.version, last_seen: r.last_seen, stored_at: Math.floor(o.storedAt / 1000) };
    const inventory = {
      agents: r.agents,
      facts: r.facts,
      classes: r.classes,
      version: r.version,
      main_collective: r.main_collective,
      collectives: r.collectives,
    };
    return toOut(json({ identity: o.identity, source: 'registry', registration, inventory }));
  }
  let text = `Inventory for ${o.identity}:\n\n   Registration:\n`;
  text += row('Version', r.version);
  text += row('Last Seen', `${new Date(r.last_seen * 1000).toISOString()} (${ageText(o.ageMs)} ago)`);
  text += row('Collectives', r.collectives.join(', '));
  text += row('Main Collective', r.main_collective);
  return toOut(text + agentsClassesFacts(r.agents, r.classes, r.facts));
}

/** MCollective's collectives report: the smallest collective first, then the nodes that answered. */
export function collectivesReport(o: Extract<CollectivesOutcome, { kind: 'collectives' }>): string {
  const width = Math.max(30, ...o.rows.map(([c]) => c.length));
  let text = `   ${'Collective'.padEnd(width)} Nodes\n   ${'=========='.padEnd(width)} =====\n`;
  for (const [collective, nodes] of o.rows) text += `   ${collective.padEnd(width)} ${nodes.length}\n`;
  return text + `\n   ${'Total nodes:'.padStart(width)} ${o.total}\n`;
}

export function renderCollectives(o: CollectivesOutcome, opts: RenderOptions): Rendered {
  if (o.kind === 'no_nodes') return renderNoNodes(opts.json);
  if (opts.json) {
    const { discovered, responses, noResponse } = o.stats;
    const collectives = Object.fromEntries(o.rows.map(([c, nodes]) => [c, nodes.length]));
    const members = Object.fromEntries(o.rows.map(([c, nodes]) => [c, nodes]));
    const requestStats = { discovered, responses, no_responses: noResponse };
    return toOut(json({ collectives, members, total_nodes: o.total, request_stats: requestStats }));
  }
  // MCollective prints the table alone; the stats come with -v, or when some nodes did not answer.
  const complete = o.stats.noResponse.length === 0 && o.stats.unexpected.length === 0;
  const stats = opts.verbose || !complete ? formatStats(o.stats, opts.verbose, 'rpcutil#collective_info call stats', opts.palette) : '';
  return toOut(collectivesReport(o) + stats);
}
