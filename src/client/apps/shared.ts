import { EXIT } from '../exit-codes.js';
import { progressFor } from '../render/progress.js';
import type { ClientSession } from '../session.js';
import type { OutputOptions } from './output.js';

export function noNodesDiscovered(session: ClientSession, json: boolean): number {
  if (json) session.out.write(JSON.stringify({ error: 'no nodes discovered', replies: [] }) + '\n');
  else session.err.write('No request sent, we did not discover any nodes.\n');
  return EXIT.ERROR;
}

export function requestSent(session: ClientSession, requestId: string, json: boolean): number {
  session.out.write(json ? JSON.stringify({ requestid: requestId }) + '\n' : `Request sent with id: ${requestId}\n`);
  return EXIT.OK;
}

export function progressCallbacks(session: ClientSession, o: Pick<OutputOptions, 'progress' | 'json'>) {
  const bar = progressFor(session.out, o.progress && !o.json);
  return {
    onStart: (n: number) => bar.start(n),
    onReply: () => bar.tick(),
    done: () => bar.stop(),
  };
}
