// Simulated time for unit tests: timers and Date move only when the test moves them, so a test asserts what
// happens before and at a deadline without measuring the machine's clock.
import { vi } from 'vitest';

/** Fakes setTimeout and Date; setImmediate stays real, so in-memory deliveries and promise chains still run. */
export function useFakeClock(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Lets pending work run (event-loop turns, no simulated time) until `cond` holds; fails naming `what` if it never does. */
export async function settle(what: string, cond: () => boolean, turns = 10_000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (cond()) return;
    await nextTurn();
  }
  throw new Error(`never happened: ${what} (after ${turns} event-loop turns with the clock stopped)`);
}

/** Lets pending work run for a while; for checking that something has still not happened. */
export async function idle(turns = 50): Promise<void> {
  for (let i = 0; i < turns; i++) await nextTurn();
}

/** A promise and whether it has settled yet. */
export function tracked<T>(promise: Promise<T>): { promise: Promise<T>; readonly settled: boolean } {
  let settled = false;
  const done = () => (settled = true);
  promise.then(done, done);
  return {
    promise,
    get settled() {
      return settled;
    },
  };
}

/** Moves simulated time by `ms`, firing the timers due, and lets the work they start run. */
export async function advance(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
  await idle();
}
