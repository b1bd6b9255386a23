import type { AgentDDL, DataDDL } from '../../ddl/index.js';
import { UsageError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import type { ClientSession } from '../session.js';

export type PluginDocOutcome =
  /** No plugin named: the agents and data plugins this client knows, by name. */
  | {
      kind: 'agents';
      agents: Array<{ name: string; description: string }>;
      data: Array<{ name: string; description: string }>;
      exitCode: typeof EXIT.OK;
    }
  | { kind: 'doc'; ddl: AgentDDL; exitCode: typeof EXIT.OK }
  | { kind: 'data'; ddl: DataDDL; exitCode: typeof EXIT.OK };

const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);

/** mco plugin doc [AGENT | agent/AGENT | data/NAME]: a plugin's DDL, or the list of known plugins. */
export function runPluginDoc(session: Pick<ClientSession, 'ddls' | 'dataDDLs'>, plugin?: string): PluginDocOutcome {
  if (!plugin) {
    const summary = (ddl: { metadata: { name: string; description: string } }) => ({
      name: ddl.metadata.name,
      description: ddl.metadata.description,
    });
    const agents = session.ddls.list().map(summary).sort(byName);
    const data = (session.dataDDLs?.list() ?? []).map(summary).sort(byName);
    return { kind: 'agents', agents, data, exitCode: EXIT.OK };
  }
  if (plugin.startsWith('data/')) {
    const ddl = session.dataDDLs?.find(plugin.slice('data/'.length));
    if (!ddl)
      throw new UsageError(`no documentation for '${plugin}': unknown data plugin`, `'mco plugin doc' lists the plugins this client knows`);
    return { kind: 'data', ddl, exitCode: EXIT.OK };
  }
  const ddl = session.ddls.find(plugin.replace(/^agent\//, ''));
  if (!ddl) throw new UsageError(`no documentation for '${plugin}': unknown agent`, `'mco plugin doc' lists the plugins this client knows`);
  return { kind: 'doc', ddl, exitCode: EXIT.OK };
}
