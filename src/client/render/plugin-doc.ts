// mco plugin doc [PLUGIN]: the agent's or data plugin's manual page from its DDL, or the plugins to choose from.
import { renderDataDoc, renderDoc } from '../../ddl/index.js';
import type { PluginDocOutcome } from '../apps/plugin-doc.js';

export function renderPluginDoc(o: PluginDocOutcome): string {
  if (o.kind === 'doc') return renderDoc(o.ddl);
  if (o.kind === 'data') return renderDataDoc(o.ddl);
  const list = (items: Array<{ name: string; description: string }>) =>
    items.map((a) => `  ${a.name.padEnd(22)}${a.description}\n`).join('');
  const data = o.data.length > 0 ? `\nData Queries (-S "NAME().field=value"; mco plugin doc data/NAME):\n${list(o.data)}` : '';
  return `Please specify a plugin. Available plugins are:\n\nAgents:\n${list(o.agents)}${data}`;
}
