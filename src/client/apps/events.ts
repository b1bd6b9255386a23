// What an application reports while it runs, for callers that show progress (a progress bar, a line per reply,
// run tracking). The outcome an application returns holds everything again; events only tell it as it happens.
import type { Reply } from '../results.js';

export type AppEvent =
  /** The request goes out to this many discovered nodes. */
  | { type: 'request_start'; expected: number }
  /** A reply arrived; `expected` is the number of nodes asked, when discovery was done. */
  | { type: 'reply'; reply: Reply; expected?: number }
  /** The request's wait is over. */
  | { type: 'request_end' }
  /** A line of run tracking (mco puppet runonce --wait, runall), stamped with the time it happened. */
  | { type: 'log'; at: Date; message: string }
  /** Something the caller should know that does not stop the application. */
  | { type: 'warning'; message: string };

export type OnEvent<E = AppEvent> = (event: E) => void;
