// What a call throws, for tests that check an error's class and code.

type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;

/** Runs `fn` and returns the `type` error it throws; any other error is rethrown, and returning fails the test. */
export function thrown<E extends Error>(type: ErrorClass<E>, fn: () => unknown): E {
  try {
    fn();
  } catch (err) {
    if (err instanceof type) return err;
    throw err;
  }
  throw new Error(`expected a ${type.name}, and nothing was thrown`);
}

/** The code of the `type` error `fn` throws, or `none` when it returns; any other error is rethrown. */
export function codeOf<E extends Error & { code: string }>(type: ErrorClass<E>, fn: () => unknown, none = 'accepted'): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof type) return err.code;
    throw err;
  }
  return none;
}
