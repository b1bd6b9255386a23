import { renderDoc } from '../../ddl/index.js';
import { UsageError } from '../errors.js';
import type { ClientSession } from '../session.js';

/** mco plugin doc [AGENT]: an agent's DDL as a manual page, or the list of known agents. */
export function runPluginDoc(session: ClientSession, agent?: string): number {
  if (!agent) {
    session.out.write('Please specify a plugin. Available plugins are:\n\nAgents:\n');
    for (const ddl of session.ddls.list().sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))) {
      session.out.write(`  ${ddl.metadata.name.padEnd(22)}${ddl.metadata.description}\n`);
    }
    return 0;
  }
  const ddl = session.ddls.find(agent.replace(/^agent\//, ''));
  if (!ddl) throw new UsageError(`no documentation for '${agent}': unknown agent`, `'mco plugin doc' lists the agents this client knows`);
  session.out.write(renderDoc(ddl));
  return 0;
}
