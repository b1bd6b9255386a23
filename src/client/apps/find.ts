// mco find: discovery only.
import { EXIT } from '../exit-codes.js';
import { discover, type Discovered, type TargetOptions } from '../request.js';
import type { ClientSession } from '../session.js';

export interface FindOutcome extends Discovered {
  exitCode: number;
}

export async function runFind(session: ClientSession, target: TargetOptions): Promise<FindOutcome> {
  const found = await discover(session, target);
  return { ...found, exitCode: found.nodes.length > 0 ? EXIT.OK : EXIT.ERROR };
}
