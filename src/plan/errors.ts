// What can go wrong with a plan, each with a stable code. `line` is the plan file's line, when known.
import { TroupeError } from '../errors.js';

export const PLAN_ERROR_CODES = {
  plan_unreadable: 'the plan file cannot be read',
  plan_syntax: 'the plan file is not valid YAML',
  plan_invalid: 'the plan does not match the plan schema, or names what does not exist',
  plan_input: 'an input is missing, of the wrong type, or refused by its pattern or enum',
  plan_nodes: 'a node set failed its guard (at_least, when_empty, test: ping, uses)',
  plan_changed: 'the plan file changed since the run began; resume refuses it',
  plan_not_found: 'no plan run with that id',
  plan_finished: 'the plan run has already finished',
  plan_locked: 'another runner holds the plan run',
  plan_lease_lost: 'the runner lost its lease to another runner',
  plan_step: 'a step failed',
} as const satisfies Record<string, string>;

export type PlanErrorCode = keyof typeof PLAN_ERROR_CODES;

export class PlanError extends TroupeError {
  override readonly name = 'PlanError';
  declare readonly code: PlanErrorCode;
  constructor(code: PlanErrorCode, message: string, hint?: string) {
    super(code, message, hint === undefined ? {} : { hint });
  }
}
