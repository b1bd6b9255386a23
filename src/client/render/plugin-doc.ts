// mco plugin doc [AGENT]: the agent's manual page from its DDL, or the agents to choose from.
import { renderDoc } from '../../ddl/index.js';
import type { PluginDocOutcome } from '../apps/plugin-doc.js';

export function renderPluginDoc(o: PluginDocOutcome): string {
  if (o.kind === 'doc') return renderDoc(o.ddl);
  return (
    'Please specify a plugin. Available plugins are:\n\nAgents:\n' +
    o.agents.map((a) => `  ${a.name.padEnd(22)}${a.description}\n`).join('')
  );
}
