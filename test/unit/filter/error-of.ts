import { FilterError } from '../../../src/filter/index.js';

/** Runs fn and returns the FilterError it throws; anything else (or nothing) fails the test. */
export function errorOf(fn: () => unknown): FilterError {
  try {
    fn();
  } catch (e) {
    if (e instanceof FilterError) return e;
    throw e;
  }
  throw new Error('expected a FilterError');
}
