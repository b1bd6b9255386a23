/**
 * Agent DDLs: the description of an RPC agent's actions that drives request validation on the
 * node, argument coercion and output rendering on the client, and `mco plugin doc`.
 */
export type {
  ActionDDL,
  AgentDDL,
  AggregateDDL,
  AggregateFunction,
  DDLMetadata,
  DisplayPolicy,
  InputDDL,
  InputType,
  OutputDDL,
  OutputType,
} from './types.js';
export { AGGREGATE_FUNCTIONS, INPUT_TYPES } from './types.js';
export { DDLError, requireAction, type DDLErrorCode } from './errors.js';
export { loadDDLFile, parseDDL } from './load.js';
export { missingRequiredInputs, validateInputs, type InputCheck } from './inputs.js';
export { coerceArguments } from './coerce.js';
export { applyOutputDefaults, shouldDisplay } from './outputs.js';
export { aggregate, createAggregator, renderAggregate, type AggregateResult, type Aggregator } from './aggregate.js';
export { renderDataDoc, renderDoc } from './doc.js';
export {
  checkDataArgument,
  dataShapeOf,
  DataDDLRepository,
  loadDataDDLFile,
  parseDataDDL,
  type DataDDL,
  type DataQueryDDL,
  type DataShape,
} from './data.js';
export { NAMED_VALIDATOR_NAMES } from './validators.js';
export { printf } from './printf.js';
