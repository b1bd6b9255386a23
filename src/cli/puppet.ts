// `mco puppet`: the anchors' options on top of every common filter, request and output option.
import { Command, InvalidArgumentError, Option } from 'commander';
import { parsePuppetCommand, runPuppet, type RunFlags } from '../client/apps/puppet/index.js';
import { discover } from '../client/request.js';
import { CliSession, clientConfig } from './session.js';
import { addRequestOptions, outputOptions, sendOptions, targetOptions } from './options.js';

type Raw = Record<string, unknown>;
type Run = (fn: (...args: never[]) => Promise<number> | number) => (...args: unknown[]) => Promise<void>;

const collect = (value: string, previous: string[] = []) => [...previous, value];

function wholeSeconds(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError('expected a whole number of seconds');
  return Number(value);
}

const ACTIONS = `
Actions:
  runonce                     one Puppet run on every matching node
  runall CONCURRENCY          a run on every enabled node, CONCURRENCY at a time
  status                      each node's agent status, with summaries
  summary                     how last-run figures spread across the fleet
  count                       nodes enabled, applying, running a daemon
  enable                      enable the Puppet agent
  disable [MESSAGE]           disable the Puppet agent, with a reason
  resource TYPE NAME [K=V…]   apply one resource (where the nodes allow it)`;

function flagsOf(raw: Raw): RunFlags {
  return {
    force: raw.force as boolean | undefined,
    server: raw.server as string | undefined,
    tags: [...((raw.tags as string[] | undefined) ?? []), ...((raw.tag as string[] | undefined) ?? [])],
    skip_tags: [...((raw.skip_tags as string[] | undefined) ?? []), ...((raw.skip_tag as string[] | undefined) ?? [])],
    noop: raw.noop as boolean | undefined,
    environment: raw.environment as string | undefined,
    splay: raw.splay as boolean | undefined,
    splaylimit: raw.splaylimit as number | undefined,
    use_cached_catalog: raw.use_cached_catalog as boolean | undefined,
    ignoreschedules: raw.ignoreschedules as boolean | undefined,
    revision: raw.revision as string | undefined,
    rerun: raw.rerun as number | undefined,
    wait: raw.wait as boolean | undefined,
    waitTimeout: raw.waitTimeout as number | undefined,
  };
}

export function registerPuppetCommand(program: Command, run: Run): void {
  const cmd = addRequestOptions(program.command('puppet').description('schedule runs, enable, disable and interrogate the Puppet agent'))
    .usage('[OPTIONS] [FILTERS] <ACTION> [CONCURRENCY|MESSAGE]')
    .argument('[action]', 'count, enable, disable, resource, runall, runonce, status or summary')
    .argument('[arguments...]', 'CONCURRENCY for runall, MESSAGE for disable, TYPE NAME K=V… for resource')
    .option('--force', 'run immediately, without splay')
    .option('--server <server>', 'Puppet server to use: host or host:port (nodes must allow it)')
    .option('--tags <tag>', 'restrict the run to a tag (repeat or comma-separate)', collect)
    .option('--skip_tags <tag>', 'skip resources with a tag (repeat or comma-separate)', collect)
    .option('--noop', 'do a no-op run')
    .option('--no-noop', 'do a real run, whatever the node is configured to')
    .option('-E, --environment <environment>', 'Puppet environment to use')
    .option('--splay', 'sleep a random time before the run')
    .option('--no-splay', 'run without splay')
    .option('--splaylimit <seconds>', 'longest splay', wholeSeconds)
    .option('--use_cached_catalog', 'apply the cached catalog')
    .option('--no-use_cached_catalog', 'never apply the cached catalog')
    .option('--ignoreschedules', 'apply resources whatever their schedules say')
    .option('--revision <rev>', 'masterless nodes: the git branch, tag or commit to apply')
    .option('--rerun <seconds>', 'runall: start again every SECONDS at the least', wholeSeconds)
    .option('--wait', 'runonce: follow every run to its end and report how each went')
    .option('--wait-timeout <seconds>', 'runonce --wait: longest wait for the runs (default 600)', wholeSeconds);
  cmd.addHelpText('after', ACTIONS);
  cmd.addOption(new Option('--tag <tag>').hideHelp().argParser(collect));
  cmd.addOption(new Option('--skip_tag <tag>').hideHelp().argParser(collect));
  cmd.action(
    run(async (action: string | undefined, args: string[], raw: Raw) => {
      const command = parsePuppetCommand(action === undefined ? [] : [action, ...args], flagsOf(raw));
      const session = new CliSession(clientConfig(raw.config as string | undefined));
      try {
        const ctx = { target: targetOptions(raw, session.defaults), send: sendOptions(raw, session.defaults), output: outputOptions(raw) };
        if (raw.discoveryOnly) {
          const found = await discover(session, ctx.target);
          for (const node of found.nodes) session.out.write(node + '\n');
          return found.nodes.length > 0 ? 0 : 1;
        }
        return await runPuppet(session, command, ctx);
      } finally {
        await session.close();
      }
    }),
  );
}
