// puppet(): the Puppet agent's state for -S filters (`puppet().enabled=false`, `puppet().idling=true`), read through
// what the puppet agent lends, with the puppet agent's own settings (plugin.puppet.*).
import type { DataPlugin } from '../../../server/data-plugin.js';
import { builtinDataDDL } from '../load-ddl.js';

/** What this plugin needs of the puppet agent (plugins/agents/puppet puppetStateSource() provides it). */
export interface PuppetStatusSource {
  status(settings: Readonly<Record<string, string>>): Promise<{
    applying: boolean;
    idling: boolean;
    enabled: boolean;
    daemon_present: boolean;
    lastrun: number;
    since_lastrun?: number;
    status: string;
    disable_message: string;
  }>;
}

export function puppetData(source: PuppetStatusSource): DataPlugin {
  return {
    ddl: builtinDataDDL('puppet'),
    async query(_argument, ctx) {
      const s = await source.status(ctx.settingsFor('puppet'));
      return {
        applying: s.applying,
        enabled: s.enabled,
        daemon_present: s.daemon_present,
        idling: s.idling,
        lastrun: s.lastrun,
        since_lastrun: s.since_lastrun ?? -1,
        status: s.status,
        disable_message: s.disable_message,
      };
    },
  };
}
