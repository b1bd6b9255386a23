// `mco puppet`: the anchors' options on top of every common filter, request and output option.
import { Command, InvalidArgumentError, Option } from 'commander';
import { runFind } from '../client/apps/find.js';
import {
  parsePuppetCommand,
  runPuppet,
  type PuppetCommand,
  type PuppetEvent,
  type PuppetOutcome,
  type RunFlags,
} from '../client/apps/puppet/index.js';
import { logLine, renderPuppet, renderRunallPass } from '../client/render/puppet.js';
import { toOut } from '../client/render/rendered.js';
import { renderDiscovered, renderRequestReport } from '../client/render/request.js';
import type { ClientSession } from '../client/session.js';
import { shellCommand } from '../config/index.js';
import { CliSession, clientConfig } from './session.js';
import { addRequestOptions, outputOptions, sendOptions, targetOptions, type RequestFlags } from './options.js';
import type { Run } from './run.js';
import { terminalFor, type Terminal } from './terminal.js';

/** The run options as commander names them; --tag and --skip_tag are hidden aliases. */
interface PuppetFlags extends RequestFlags, Omit<RunFlags, 'tags' | 'skip_tags'> {
  tags?: string[];
  tag?: string[];
  skip_tags?: string[];
  skip_tag?: string[];
}

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

function runFlagsOf(f: PuppetFlags): RunFlags {
  return {
    force: f.force,
    server: f.server,
    tags: [...(f.tags ?? []), ...(f.tag ?? [])],
    skip_tags: [...(f.skip_tags ?? []), ...(f.skip_tag ?? [])],
    noop: f.noop,
    environment: f.environment,
    splay: f.splay,
    splaylimit: f.splaylimit,
    use_cached_catalog: f.use_cached_catalog,
    ignoreschedules: f.ignoreschedules,
    revision: f.revision,
    rerun: f.rerun,
    wait: f.wait,
    waitTimeout: f.waitTimeout,
  };
}

/**
 * After a no-op preview, the command that applies what was previewed: the one given (`argv`, past `mco`), without
 * --noop and, when every node previewed the same commit, at that commit rather than a branch that may move.
 */
export function applyPreviewed(argv: readonly string[], commit: string | undefined): string[] {
  const words = ['mco'];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--noop') continue;
    if (commit !== undefined && word === '--revision' && i + 1 < argv.length) {
      words.push(word, commit);
      i++;
    } else if (commit !== undefined && word.startsWith('--revision=')) {
      words.push(`--revision=${commit}`);
    } else {
      words.push(word);
    }
  }
  return words;
}

/** The suggestion line a no-op `runonce --wait` ends with, when some node previewed successfully. */
function previewedLine(outcome: PuppetOutcome, command: PuppetCommand, argv: readonly string[]): string {
  if (outcome.kind !== 'runonce_wait' || command.action !== 'runonce' || command.data.noop !== true) return '';
  const previewed = new Set(outcome.runs.filter((r) => r.ok).map((r) => r.config_version));
  if (previewed.size === 0) return '';
  const commit = command.data.revision !== undefined && previewed.size === 1 ? [...previewed][0] : undefined;
  return `\nTo apply what was previewed: ${shellCommand(applyPreviewed(argv, commit))}\n`;
}

/** Runs one puppet subcommand, writing its progress, run tracking and outcome as the anchors print them. */
export async function puppetCommand(
  session: ClientSession,
  command: PuppetCommand,
  flags: RequestFlags,
  term: Terminal = terminalFor(session),
  argv: readonly string[] = process.argv.slice(2),
): Promise<number> {
  const ctx = { target: targetOptions(flags, session.defaults), send: sendOptions(flags, session.defaults) };
  if (flags.discoveryOnly) {
    const found = await runFind(session, ctx.target);
    term.write(renderDiscovered(found));
    return found.exitCode;
  }
  const output = outputOptions(flags);
  const opts = { ...output, palette: term.palette };
  // count shows no progress bar, as the anchors'; run tracking goes to stderr when stdout carries JSON.
  const progress = term.requestProgress(output.progress && !output.json && command.action !== 'count');
  const tracking = output.json ? term.err : term.out;
  const onEvent = (e: PuppetEvent) => {
    if (e.type === 'log') tracking.write(logLine(e.at, e.message));
    else if (e.type === 'runs_started') term.write(toOut(output.json ? '' : renderRequestReport(e.request, opts)));
    else if (e.type === 'runall_pass') term.write(renderRunallPass(e.pass, opts));
    else progress(e);
  };
  const outcome = await runPuppet(session, command, ctx, onEvent);
  term.write(renderPuppet(outcome, opts));
  if (!output.json) term.write(toOut(previewedLine(outcome, command, argv)));
  return outcome.exitCode;
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
    run(async (action: string | undefined, args: string[], flags: PuppetFlags) => {
      const command = parsePuppetCommand(action === undefined ? [] : [action, ...args], runFlagsOf(flags));
      const session = new CliSession(clientConfig(flags.config));
      try {
        return await puppetCommand(session, command, flags);
      } finally {
        await session.close();
      }
    }),
  );
}
