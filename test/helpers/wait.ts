// Bounded waits on an event: poll a condition until it holds, and fail naming what never happened.

/**
 * Polls `probe` every `everyMs` until it returns a value other than undefined or false, and resolves with it.
 * After `timeoutMs` it throws `timed out waiting for <what>`, with the last error the probe threw.
 */
export type Probe<T> = () => Promise<T | undefined | false> | T | undefined | false;

export async function waitFor<T>(what: string, probe: Probe<T>, timeoutMs = 15_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what} (${timeoutMs} ms)${last ? `: ${(last as Error).message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
