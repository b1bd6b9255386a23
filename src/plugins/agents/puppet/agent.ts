// puppet: run Puppet, report its status and last run, enable and disable it, and apply single resources.
// Behaviour follows MCollective's and Choria's puppet agent; src/plugins/agents/puppet/puppet.ddl.json describes it.
import { fileURLToPath } from 'node:url';
import { loadDDLFile } from '../../../ddl/index.js';
import {
  ActionFailed,
  type ActionRequest,
  type AgentContext,
  type AgentPlugin,
  type AgentService,
  type AgentServiceContext,
} from '../../../server/agent.js';
import { startDetached, type StartDetached } from './detached.js';
import { defaultDisableMessage, disablePuppet, enablePuppet } from './disable-lock.js';
import { PuppetAgentError } from './errors.js';
import { forgetPuppetSettings, printWithPuppet, puppetPaths, type PuppetPaths, type SettingsPrinter } from './paths.js';
import { applyResource } from './resource.js';
import type { RunRequest } from './run-options.js';
import { runonce } from './runonce.js';
import { RunSchedule } from './schedule.js';
import { parseSettings, type PuppetSettings } from './settings.js';
import { daemonPid, disabledMessage, readLastRun, readStatus } from './state.js';
import type { RunGovernors } from './governor-hold.js';
import { loadReportLogs, loadResources, scalarText, typeDistribution } from './summary.js';

const ddl = loadDDLFile(fileURLToPath(new URL('./puppet.ddl.json', import.meta.url)));

export interface PuppetAgentDeps {
  printSettings: SettingsPrinter;
  startDetached: StartDetached;
  signal(pid: number, signal: NodeJS.Signals): void;
  nowMs(): number;
  /** Governor slots for runonce (plugin.puppet.governor); absent when the broker has none. */
  governors?: RunGovernors;
  /** The splay of the first scheduled run: a number in [0, 1). */
  random(): number;
}

interface Call {
  req: ActionRequest;
  ctx: AgentContext;
  settings: PuppetSettings;
  paths: PuppetPaths;
}

type Action = (call: Call) => Promise<Record<string, unknown>>;

/** Each node's scheduled runs, by identity (one agent serves every node of a simulated fleet). */
type Schedules = Map<string, RunSchedule>;

function createActions(deps: PuppetAgentDeps, schedules: Schedules): Record<string, Action> {
  const enabledNow = async (paths: PuppetPaths) => (await disabledMessage(paths)) === undefined;

  return {
    runonce: ({ req, ctx, settings, paths }) =>
      runonce(req.data as RunRequest, settings, paths, { ...deps, node: process.execPath, holder: ctx.node.identity }, ctx.signal).then(
        (r) => ({ ...r }),
      ),

    status: async ({ ctx, paths }) => ({
      ...(await readStatus(paths, deps.nowMs())),
      next_run: Math.ceil((schedules.get(ctx.node.identity)?.nextRunMs ?? 0) / 1000),
    }),

    last_run_summary: async ({ req, paths }) => {
      const [last, resources, logs] = await Promise.all([
        readLastRun(paths, deps.nowMs()),
        loadResources(paths.resourcefile),
        req.data.logs === true ? loadReportLogs(paths.lastrunreport) : Promise.resolve([]),
      ]);
      const { summary, lastrun, verdict } = last;
      const version = summary.version;
      const result: Record<string, unknown> = {
        out_of_sync_resources: Number(summary.resources['out_of_sync']),
        failed_resources: Number(summary.resources['failed']),
        corrected_resources: Number(summary.resources['corrective_change']),
        changed_resources: Number(summary.resources['changed']),
        total_resources: Number(summary.resources['total']),
        total_time: Number(summary.time['total'] ?? 0),
        lastrun,
        // A run that failed before compiling writes `config:` empty; a missing key means no summary at all.
        config_version: !Object.hasOwn(version, 'config') ? 'unknown' : version['config'] == null ? '' : scalarText(version['config']),
        type_distribution: typeDistribution(resources),
        summary,
        logs,
        last_run_status: verdict.status,
        last_run_failed: verdict.failed,
        last_run_noop: verdict.noop,
        last_run_error: verdict.error,
      };
      if (summary.time['config_retrieval'] !== undefined) result.config_retrieval_time = Number(summary.time['config_retrieval']);
      if (lastrun > 0) result.since_lastrun = Math.max(0, Math.floor(deps.nowMs() / 1000) - lastrun);
      return result;
    },

    enable: async ({ paths }) => {
      try {
        await enablePuppet(paths);
      } catch (err) {
        if (err instanceof PuppetAgentError) throw new PuppetAgentError(err.code, `Could not enable Puppet: ${err.message}`);
        throw err;
      }
      return { status: 'Succesfully enabled the Puppet agent', enabled: await enabledNow(paths) };
    },

    disable: async ({ req, paths }) => {
      const given = typeof req.data.message === 'string' ? req.data.message.trim() : '';
      const message = given || defaultDisableMessage(req.caller, new Date(deps.nowMs()));
      try {
        await disablePuppet(paths, message);
      } catch (err) {
        if (err instanceof PuppetAgentError) throw new PuppetAgentError(err.code, `Could not disable Puppet: ${err.message}`);
        throw err;
      }
      return { status: `Succesfully locked the Puppet agent: ${message}`, enabled: await enabledNow(paths) };
    },

    resource: async ({ req, ctx, settings, paths }) => {
      const { type, name, environment, ...parameters } = req.data;
      return applyResource(
        { type: String(type), name: String(name), environment: typeof environment === 'string' ? environment : undefined, parameters },
        settings,
        paths,
        ctx.signal,
      );
    },
  };
}

/** plugin.puppet.runinterval: the node's scheduled runs, each one a runonce with the splay already waited. */
function startSchedule(deps: PuppetAgentDeps, schedules: Schedules, ctx: AgentServiceContext): AgentService | undefined {
  let settings: PuppetSettings;
  try {
    settings = parseSettings(ctx.settings);
  } catch (err) {
    ctx.logger.error({ err: (err as Error).message }, 'no scheduled Puppet runs: the settings are not usable');
    return undefined;
  }
  if (settings.runinterval === 0) return undefined;
  const identity = ctx.node.identity;
  const splayS = settings.splay ? Math.floor(deps.random() * (settings.splaylimit + 1)) : 0;
  const schedule = new RunSchedule({
    intervalMs: settings.runinterval * 1000,
    firstDelayMs: splayS * 1000,
    logger: ctx.logger,
    now: () => deps.nowMs(),
    about: settings.masterless.gitTrack === undefined ? {} : { git_track: settings.masterless.gitTrack },
    run: async (signal) => {
      const paths = await puppetPaths(settings, deps.printSettings);
      // A Puppet daemon runs on its own runinterval; signalling it on ours as well would double its runs.
      const daemon = settings.mode === 'agent' ? await daemonPid(paths) : undefined;
      if (daemon !== undefined) return { skipped: `the Puppet daemon (pid ${daemon}) schedules its own runs` };
      return runonce({ force: true }, settings, paths, { ...deps, node: process.execPath, holder: identity }, signal);
    },
  });
  schedules.set(identity, schedule);
  schedule.start();
  return {
    async stop() {
      if (schedules.get(identity) === schedule) schedules.delete(identity);
      await schedule.stop();
    },
  };
}

export function createPuppetAgent(overrides: Partial<PuppetAgentDeps> = {}): AgentPlugin {
  const deps: PuppetAgentDeps = {
    printSettings: printWithPuppet,
    startDetached,
    signal: (pid, signal) => process.kill(pid, signal),
    nowMs: () => Date.now(),
    random: Math.random,
    ...overrides,
  };
  const schedules: Schedules = new Map();
  const actions = createActions(deps, schedules);
  return {
    ddl,
    start: (ctx) => startSchedule(deps, schedules, ctx),
    // A corrected puppet.conf takes effect without a restart.
    reload: () => forgetPuppetSettings(),
    async invoke(req, ctx) {
      const action = actions[req.action];
      if (!action) throw new ActionFailed(`Unknown action '${req.action}' for agent 'puppet'`, 2);
      const settings = parseSettings(ctx.settings);
      const paths = await puppetPaths(settings, deps.printSettings);
      return action({ req, ctx, settings, paths });
    },
  };
}

export const puppetAgent: AgentPlugin = createPuppetAgent();
