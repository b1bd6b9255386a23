import { TroupeError, type ErrorCodeTable } from '../errors.js';
import type { ActionDDL, AgentDDL } from './types.js';

export const DDL_ERROR_CODES = {
  DDL_INVALID: 'a DDL file or object breaks the meta-schema, or a rule the schema cannot express',
  DDL_NOT_FOUND: 'no DDL file at the given path',
  UNKNOWN_ACTION: 'the agent has no such action',
  ARGUMENT_INVALID: 'a command-line `key=value` argument cannot be turned into the declared input',
} as const satisfies ErrorCodeTable;
export type DDLErrorCode = keyof typeof DDL_ERROR_CODES;

const INPUTS_HINT = "'mco plugin doc AGENT' shows the inputs an action takes";

export class DDLError extends TroupeError {
  override readonly name = 'DDLError';
  declare readonly code: DDLErrorCode;
  constructor(code: DDLErrorCode, message: string) {
    // A broken or missing DDL file is the plugin's fault: the action's documentation would not help.
    super(code, message, { hint: code === 'UNKNOWN_ACTION' || code === 'ARGUMENT_INVALID' ? INPUTS_HINT : undefined });
  }
}

export function unknownActionMessage(ddl: AgentDDL, action: string): string {
  return `Unknown action '${action}' for agent '${ddl.metadata.name}'`;
}

/** The action's description, or a DDLError(UNKNOWN_ACTION). */
export function requireAction(ddl: AgentDDL, action: string): ActionDDL {
  const found = Object.hasOwn(ddl.actions, action) ? ddl.actions[action] : undefined;
  if (!found) throw new DDLError('UNKNOWN_ACTION', unknownActionMessage(ddl, action));
  return found;
}
