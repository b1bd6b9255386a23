// resource(): the last Puppet run's resource counts (`resource().failed>0`), and with a query whether the last
// catalog managed a resource (`resource('file[/etc/motd]').managed=true`), from the puppet agent's records.
import type { DataPlugin } from '../../../server/data-plugin.js';
import { builtinDataDDL } from '../load-ddl.js';

type Section = Record<string, unknown>;

/** What this plugin needs of the puppet agent (plugins/agents/puppet puppetStateSource() provides it). */
export interface PuppetRunSource {
  lastRun(settings: Readonly<Record<string, string>>): Promise<{ resources: Section; time: Section; version: Section }>;
  managed(settings: Readonly<Record<string, string>>, type: string, title: string): Promise<boolean>;
}

const COUNTS = ['total', 'changed', 'failed', 'out_of_sync', 'corrective_change', 'restarted', 'skipped', 'scheduled', 'failed_to_restart'];

function count(section: Section, key: string): number {
  const n = Number(section[key] ?? 0);
  return Number.isFinite(n) ? n : 0;
}

export function resourceData(source: PuppetRunSource, nowMs: () => number = Date.now): DataPlugin {
  return {
    ddl: builtinDataDDL('resource'),
    async query(argument, ctx) {
      const settings = ctx.settingsFor('puppet');
      const summary = await source.lastRun(settings);
      const { resources, time, version } = summary;
      const result: Record<string, unknown> = {};
      for (const key of COUNTS) result[key] = count(resources, key);
      result.total_resources = result.total;
      result.changed_resources = result.changed;
      result.failed_resources = result.failed;
      result.out_of_sync_resources = result.out_of_sync;
      result.corrected_resources = result.corrective_change;
      result.total_time = count(time, 'total');
      if (time['config_retrieval'] !== undefined) result.config_retrieval_time = count(time, 'config_retrieval');
      if (version['config'] != null) result.config_version = String(version['config']);
      const lastrun = Math.trunc(count(time, 'last_run'));
      result.lastrun = lastrun > 0 ? lastrun : 0;
      if (lastrun > 0) result.since_lastrun = Math.max(0, Math.floor(nowMs() / 1000) - lastrun);
      if (argument !== undefined) {
        // The DDL's validation has made sure of `type[title]`.
        const open = argument.indexOf('[');
        result.managed = await source.managed(settings, argument.slice(0, open), argument.slice(open + 1, -1));
      }
      return result;
    },
  };
}
