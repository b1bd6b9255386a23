// What can go wrong with a plan, each with a stable code. `line` is the plan file's line, when known.
export type PlanErrorCode =
  | 'plan_unreadable'
  | 'plan_syntax'
  | 'plan_invalid'
  | 'plan_input'
  | 'plan_nodes'
  | 'plan_changed'
  | 'plan_not_found'
  | 'plan_finished'
  | 'plan_locked'
  | 'plan_lease_lost'
  | 'plan_step';

export class PlanError extends Error {
  override readonly name = 'PlanError';
  constructor(
    readonly code: PlanErrorCode,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}
