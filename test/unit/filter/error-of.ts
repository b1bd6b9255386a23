import { FilterError } from '../../../src/filter/index.js';
import { thrown } from '../../helpers/errors.js';

/** Runs fn and returns the FilterError it throws; anything else (or nothing) fails the test. */
export const errorOf = (fn: () => unknown): FilterError => thrown(FilterError, fn);
