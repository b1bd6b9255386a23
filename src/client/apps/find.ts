// mco find: discovery only.
import { EXIT } from '../exit-codes.js';
import { discover, type Discovered, type TargetOptions } from '../request.js';
import type { ClientSession } from '../session.js';

export interface FindOutcome extends Discovered {
  exitCode: number;
}

export async function runFind(session: ClientSession, target: TargetOptions): Promise<FindOutcome> {
  const found = await discover(session, target);
  // A site that did not answer may hold matching nodes: what was found is not the whole answer.
  const exitCode = found.nodes.length === 0 ? EXIT.ERROR : found.unanswered.length > 0 ? EXIT.SOME_FAILED : EXIT.OK;
  return { ...found, exitCode };
}
