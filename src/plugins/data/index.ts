// The data plugins every daemon offers to -S filters, by name; a new one is a folder beside these (its DDL and
// code) and one entry here.
import type { DataPlugin } from '../../server/data-plugin.js';
import { puppetStateSource, type PuppetStateSource } from '../agents/puppet/state-source.js';
import { agentData } from './agent/data.js';
import { factData } from './fact/data.js';
import { puppetData } from './puppet/data.js';
import { resourceData } from './resource/data.js';

export { BUILTIN_DATA_DIR } from './ddl-dir.js';

/** `puppet` replaces what the puppet() and resource() plugins read Puppet's state through (tests). */
export function builtinDataPlugins(deps: { puppet?: PuppetStateSource } = {}): DataPlugin[] {
  const puppet = deps.puppet ?? puppetStateSource();
  return [puppetData(puppet), resourceData(puppet), factData(), agentData()];
}
