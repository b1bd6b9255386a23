// mco facts FACT [--registry]: the values of a fact across the fleet, how many nodes have each.
import type { FactRow, FactsOutcome } from '../apps/facts.js';
import type { RegistryFactsOutcome } from '../apps/registry.js';
import { renderNoNodes } from './request.js';
import { json, toOut, type Rendered, type RenderOptions } from './rendered.js';
import { roundMs } from './json.js';
import { formatStats } from './text.js';

/** MCollective's fact report; -v lists the nodes under each value. */
export function factReport(fact: string, rows: readonly FactRow[], verbose: boolean): string {
  const width = Math.max(40, ...rows.map(([v]) => v.length + 2));
  let text = `Report for fact: ${fact}\n\n`;
  for (const [value, nodes] of rows) {
    text += `        ${(value === '' ? '(missing)' : value).padEnd(width)}found ${nodes.length} times\n`;
    if (verbose) text += '\n' + nodes.map((n) => `            ${n}`).join('\n') + '\n\n';
  }
  return text;
}

const values = (rows: readonly FactRow[]) => Object.fromEntries(rows.map(([v, nodes]) => [v, nodes]));

export function renderFacts(o: FactsOutcome, opts: RenderOptions): Rendered {
  if (o.kind === 'no_nodes') return renderNoNodes(opts.json);
  if (opts.json) {
    const { discovered, responses, noResponse } = o.stats;
    return toOut(json({ fact: o.fact, values: values(o.rows), request_stats: { discovered, responses, no_responses: noResponse } }));
  }
  return toOut(factReport(o.fact, o.rows, opts.verbose) + formatStats(o.stats, opts.verbose, 'rpc stats', opts.palette));
}

export const ageText = (ms: number) => `${Math.max(0, Math.round(ms / 1000))} s`;

export function renderRegistryFacts(o: RegistryFactsOutcome, opts: Omit<RenderOptions, 'palette'>): Rendered {
  if (o.kind === 'no_nodes') return renderNoNodes(opts.json);
  if (opts.json) {
    const registryStats = { nodes: o.nodes, read_ms: roundMs(o.readMs), oldest_record_s: Math.round(o.oldestMs / 1000) };
    return toOut(json({ fact: o.fact, values: values(o.rows), source: 'registry', registry_stats: registryStats }));
  }
  const report = factReport(o.fact, o.rows, opts.verbose);
  if (!opts.verbose) return toOut(report + `\nFinished reading ${o.nodes} hosts from the registry in ${o.readMs.toFixed(2)} ms\n`);
  const row = (label: string, value: string) => `${label.padStart(16)}: ${value}\n`;
  return toOut(
    report +
      '---- registry stats ----\n' +
      row('Nodes', String(o.nodes)) +
      row('Start Time', o.startTime.toISOString()) +
      row('Read Time', `${o.readMs.toFixed(2)}ms`) +
      row('Oldest Record', ageText(o.oldestMs)) +
      row('Max Age', o.maxAgeMs > 0 ? ageText(o.maxAgeMs) : 'none'),
  );
}
