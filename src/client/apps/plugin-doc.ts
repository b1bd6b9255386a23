import type { AgentDDL } from '../../ddl/index.js';
import { UsageError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import type { ClientSession } from '../session.js';

export type PluginDocOutcome =
  /** No agent named: the agents this client knows, by name. */
  | { kind: 'agents'; agents: Array<{ name: string; description: string }>; exitCode: typeof EXIT.OK }
  | { kind: 'doc'; ddl: AgentDDL; exitCode: typeof EXIT.OK };

/** mco plugin doc [AGENT]: an agent's DDL, or the list of known agents. */
export function runPluginDoc(session: Pick<ClientSession, 'ddls'>, agent?: string): PluginDocOutcome {
  if (!agent) {
    const agents = session.ddls
      .list()
      .map((ddl) => ({ name: ddl.metadata.name, description: ddl.metadata.description }))
      .sort((a, b) => a.name.localeCompare(b.name));
    return { kind: 'agents', agents, exitCode: EXIT.OK };
  }
  const ddl = session.ddls.find(agent.replace(/^agent\//, ''));
  if (!ddl) throw new UsageError(`no documentation for '${agent}': unknown agent`, `'mco plugin doc' lists the agents this client knows`);
  return { kind: 'doc', ddl, exitCode: EXIT.OK };
}
