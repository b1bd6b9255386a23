// mco inventory IDENTITY: one node's daemon statistics, agents, classes and facts.
import { plainIdentities } from '../../filter/index.js';
import { UsageError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import type { ClientSession } from '../session.js';
import type { Reply } from '../results.js';
import type { TargetOptions } from '../request.js';

export async function runInventory(session: ClientSession, identity: string, target: TargetOptions, o: { json: boolean; timeoutMs?: number }): Promise<number> {
  if (!identity) throw new UsageError('inventory needs a node identity');
  const filter = { ...target.filter, identity: [identity] };
  if (!plainIdentities(filter)) throw new UsageError('inventory takes one plain identity and no other filters');
  const client = await session.client();
  const ask = async (action: string): Promise<Reply | undefined> => {
    const res = await client.call({ agent: 'rpcutil', action, data: {}, filter, collective: target.collective, targets: [identity], timeoutMs: o.timeoutMs ?? 5000 });
    return res.all()[0];
  };
  const [stats, inv] = await Promise.all([ask('daemon_stats'), ask('inventory')]);
  if (!stats || !inv) {
    session.err.write(`Did not receive a response from ${identity}\n`);
    return EXIT.NO_RESPONSES;
  }
  if (o.json) {
    session.out.write(JSON.stringify({ identity, stats: stats.data, inventory: inv.data }, null, 2) + '\n');
    return EXIT.OK;
  }
  const s = stats.data;
  const d = inv.data;
  const row = (label: string, value: unknown) => `${label.padStart(25)}: ${String(value)}\n`;
  const out = session.out;
  out.write(`Inventory for ${identity}:\n\n   Server Statistics:\n`);
  out.write(row('Version', s.version));
  out.write(row('Start Time', new Date(Number(s.starttime) * 1000).toISOString()));
  out.write(row('Config File', s.configfile || '(none)'));
  out.write(row('Collectives', (d.collectives as string[]).join(', ')));
  out.write(row('Main Collective', d.main_collective));
  out.write(row('Process ID', s.pid));
  out.write(row('Total Messages', s.total));
  out.write(row('Messages Passed Filters', s.passed));
  out.write(row('Messages Filtered', s.filtered));
  out.write(row('Expired Messages', s.ttlexpired));
  out.write(row('Replies Sent', s.replies));
  const rejected = Object.entries((s.rejected ?? {}) as Record<string, number>);
  out.write(row('Rejected Messages', rejected.length ? rejected.map(([k, v]) => `${k}=${v}`).join(', ') : 0));
  const times = (s.times ?? {}) as Record<string, number>;
  out.write(row('Total Processor Time', `${(times.utime ?? 0).toFixed(2)} seconds`));
  out.write(row('System Time', `${(times.stime ?? 0).toFixed(2)} seconds`));
  out.write('\n   Agents:\n' + list(d.agents as string[]));
  out.write('\n   Configuration Management Classes:\n' + list(d.classes as string[]));
  out.write('\n   Facts:\n');
  for (const [k, v] of flatten(d.facts as Record<string, unknown>)) out.write(`      ${k} => ${v}\n`);
  return EXIT.OK;
}

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
