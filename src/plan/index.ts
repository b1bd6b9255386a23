// Rollout plans: a YAML file of typed inputs, guarded node sets and batched steps with failure budgets.
export { PlanError, type PlanErrorCode } from './errors.js';
export { loadPlanFile, parsePlan, type LoadedPlan } from './load.js';
export { parseSets, resolveInputs } from './inputs.js';
export { batchSizes, splitBatches, windowWidth, countOf } from './batching.js';
export { FailureBudget, type Exceeded } from './budget.js';
export { compileAssertion, parseAssertion } from './assertion.js';
export { describePlan, type DryRun } from './dry-run.js';
export { PlanAuditLog } from './audit.js';
export {
  PLAN_EXIT,
  newRunId,
  resumePlan,
  startPlan,
  type GovernorFactory,
  type PlanAuditRecord,
  type PlanEvent,
  type PlanOutcome,
  type RunnerOptions,
  type StepResult,
} from './runner.js';
export * from './store.js';
