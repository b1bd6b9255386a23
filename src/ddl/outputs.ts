import { requireAction } from './errors.js';
import type { AgentDDL, DisplayPolicy } from './types.js';

/** Whether a reply with `statuscode` is shown under the action's display policy (MCollective rules). */
export function shouldDisplay(display: DisplayPolicy, statuscode: number): boolean {
  switch (display) {
    case 'always':
      return true;
    case 'ok':
      return statuscode === 0;
    case 'failed':
      return statuscode !== 0;
  }
}

/**
 * A copy of reply data with every output the reply left out set to its declared default.
 * Outputs without a declared default stay absent. Throws UNKNOWN_ACTION.
 */
export function applyOutputDefaults(ddl: AgentDDL, action: string, data: Record<string, unknown>): Record<string, unknown> {
  const spec = requireAction(ddl, action);
  const result: Record<string, unknown> = { ...data };
  for (const [name, output] of Object.entries(spec.output)) {
    if (result[name] === undefined && Object.hasOwn(output, 'default')) {
      const value = output.default;
      result[name] = typeof value === 'object' && value !== null ? structuredClone(value) : value;
    }
  }
  return result;
}
