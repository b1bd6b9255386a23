// mco find: discovery only, one identity per line.
import { discover, type TargetOptions } from '../request.js';
import type { ClientSession } from '../session.js';

export async function runFind(session: ClientSession, target: TargetOptions, o: { verbose: boolean; json: boolean }): Promise<number> {
  const found = await discover(session, target);
  if (o.json) session.out.write(JSON.stringify(found.nodes) + '\n');
  else for (const n of found.nodes) session.out.write(n + '\n');
  if (o.verbose) {
    session.err.write(`\nDiscovered ${found.nodes.length} nodes in ${(found.elapsedMs / 1000).toFixed(2)} seconds using the ${found.method} discovery plugin\n`);
  }
  return found.nodes.length > 0 ? 0 : 1;
}
