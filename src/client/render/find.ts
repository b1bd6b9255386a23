// mco find: one identity per line (or a JSON array), and with -v how discovery went.
import type { FindOutcome } from '../apps/find.js';
import type { Rendered } from './rendered.js';

export function renderFind(o: FindOutcome, opts: { json: boolean; verbose: boolean }): Rendered {
  const out = opts.json ? JSON.stringify(o.nodes) + '\n' : o.nodes.map((n) => n + '\n').join('');
  const err = opts.verbose
    ? `\nDiscovered ${o.nodes.length} nodes in ${(o.elapsedMs / 1000).toFixed(2)} seconds using the ${o.method} discovery plugin\n`
    : '';
  return { out, err };
}
