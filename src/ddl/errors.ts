import type { ActionDDL, AgentDDL } from './types.js';

export type DDLErrorCode =
  /** The DDL file or object breaks the meta-schema or a rule the schema cannot express. */
  | 'DDL_INVALID'
  /** No DDL file at the given path. */
  | 'DDL_NOT_FOUND'
  /** The agent has no such action. */
  | 'UNKNOWN_ACTION'
  /** A command-line `key=value` argument cannot be turned into the declared input. */
  | 'ARGUMENT_INVALID';

export class DDLError extends Error {
  override readonly name = 'DDLError';
  constructor(
    readonly code: DDLErrorCode,
    message: string,
  ) {
    super(message);
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
