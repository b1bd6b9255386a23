// What the puppet agent knows of Puppet's state, lent to others (the puppet() and resource() data plugins): the same
// files its status and last_run_summary actions read, found from the same plugin.puppet.* settings.
import { printWithPuppet, puppetPaths, type SettingsPrinter } from './paths.js';
import { parseSettings } from './settings.js';
import { readStatus, type AgentStatus } from './state.js';
import { isManaged, loadResources, loadSummary, type RunSummary } from './summary.js';

export interface PuppetStateSource {
  /** As the status action answers. */
  status(settings: Readonly<Record<string, string>>): Promise<AgentStatus>;
  /** last_run_summary.yaml, its sections completed with zero counts as the anchors load it. */
  lastRun(settings: Readonly<Record<string, string>>): Promise<RunSummary>;
  /** Whether resources.txt lists `type[title]` (Puppet's record of what the last catalog managed). */
  managed(settings: Readonly<Record<string, string>>, type: string, title: string): Promise<boolean>;
}

export function puppetStateSource(print: SettingsPrinter = printWithPuppet, nowMs: () => number = Date.now): PuppetStateSource {
  const pathsFor = (settings: Readonly<Record<string, string>>) => puppetPaths(parseSettings(settings), print);
  return {
    status: async (settings) => readStatus(await pathsFor(settings), nowMs()),
    lastRun: async (settings) => loadSummary((await pathsFor(settings)).lastrunfile),
    managed: async (settings, type, title) => isManaged(await loadResources((await pathsFor(settings)).resourcefile), type, title),
  };
}
