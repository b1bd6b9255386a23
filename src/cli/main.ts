// `mco`: the command line. Each subcommand parses its options, then hands a typed request to an application.
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { CliSession, clientConfig } from './session.js';
import { addFilterOptions, addRequestOptions, type FilterFlags, type RequestFlags } from './options.js';
import {
  factsCommand,
  findCommand,
  inventoryCommand,
  pingCommand,
  pluginDocCommand,
  rpcCommand,
  type FactsFlags,
  type InventoryFlags,
  type PingFlags,
} from './apps.js';
import type { ConfigFlags, Run } from './run.js';
import { reportError } from './errors.js';
import { registerServerCommands } from './server.js';
import { registerSimCommand } from './sim.js';
import { registerPuppetCommand } from './puppet.js';
import { registerSecurityCommands } from './ca.js';
import { registerBrokerCommands } from './broker.js';
import { registerPluginGenerate } from './plugin-generate.js';
import { registerPlanCommand } from './plan.js';
import { registerPlanRunCommands } from './plan-run.js';
import { registerGovernorCommands } from './governor.js';
import { registerWebCommand } from './web.js';

import { VERSION_STRING as VERSION } from './version.js';

/** `--expect N` or `--expect registry`. */
function expectOption(value: string): number | 'registry' {
  if (value === 'registry') return value;
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1) throw new InvalidArgumentError("expected a whole number above 0, or 'registry'");
  return Number(value);
}

/** Runs a client application with a session, and always closes the broker connection. */
async function withSession(flags: ConfigFlags, app: (session: CliSession) => Promise<number> | number): Promise<number> {
  const session = new CliSession(clientConfig(flags.config));
  try {
    return await app(session);
  } finally {
    await session.close();
  }
}

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('mco')
    .description('troupe: orchestrate a fleet of nodes over NATS')
    .version(VERSION, '--version')
    .showSuggestionAfterError()
    .exitOverride()
    // Argument errors read like every other mco error: `mco: …` on one line.
    .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, 'mco: ')) });

  const run: Run =
    (fn) =>
    async (...args) => {
      const cmd = args[args.length - 1] as Command;
      try {
        setExit(await fn(...(args as Parameters<typeof fn>)));
      } catch (err) {
        setExit(reportError(err, Boolean(cmd.opts().debug)));
      }
    };

  addFilterOptions(program.command('ping').description('ping all nodes matching the filter (no discovery step)'))
    .option('-t, --timeout <seconds>', 'longest wait for replies (default: the discovery timeout)', Number)
    .option('--expect <count>', "stop as soon as this many nodes have answered; 'registry': as many as the registry counts", expectOption)
    .option('--ttl <seconds>', 'how long the request stays valid', Number)
    .action(run((flags: PingFlags) => withSession(flags, (s) => pingCommand(s, flags))));

  addFilterOptions(program.command('find').description('list the nodes matching the filter')).action(
    run((flags: FilterFlags) => withSession(flags, (s) => findCommand(s, flags))),
  );

  addRequestOptions(program.command('rpc').description('call any action of any agent'))
    .argument('<agent>', 'agent name')
    .argument('<action>', 'action name')
    .argument('[inputs...]', 'inputs as key=value')
    .action(
      run((agent: string, action: string, inputs: string[], flags: RequestFlags) =>
        withSession(flags, (s) => rpcCommand(s, agent, action, inputs, flags)),
      ),
    );

  addRequestOptions(program.command('facts').description('report the values of a fact across the fleet'))
    .argument('<fact>', 'fact name, dotted for structured facts (os.family)')
    .option('--registry', 'read the values from the node registry instead of asking the nodes')
    .action(run((fact: string, flags: FactsFlags) => withSession(flags, (s) => factsCommand(s, fact, flags))));

  addFilterOptions(program.command('inventory').description("show one node's statistics, agents, classes and facts"))
    .argument('<identity>', 'node identity')
    .option('-t, --timeout <seconds>', 'longest wait for the reply', Number)
    .option('--registry', "read the node's registration record instead of asking the node (shows when it was last seen)")
    .action(run((identity: string, flags: InventoryFlags) => withSession(flags, (s) => inventoryCommand(s, identity, flags))));

  const plugin = program.command('plugin').description('inspect plugins');
  plugin
    .command('doc')
    .description("show an agent's or data plugin's documentation from its DDL")
    .argument('[plugin]', 'agent name (or agent/NAME), or data/NAME for a data plugin')
    .option('-c, --config <file>', 'client config file')
    .option('--debug', 'print stack traces on errors')
    .action(run((agent: string | undefined, flags: ConfigFlags) => pluginDocCommand(new CliSession(clientConfig(flags.config)), agent)));
  registerPluginGenerate(plugin, run);

  registerServerCommands(program, run);
  registerSimCommand(program, run);
  registerPuppetCommand(program, run);
  registerSecurityCommands(program, run);
  registerBrokerCommands(program, run);
  registerPlanCommand(program, run);
  registerPlanRunCommands(program, run);
  registerGovernorCommands(program, run);
  registerWebCommand(program, run);
  return program;
}

async function main(): Promise<void> {
  let code = 0;
  // A reader that stops early (`mco find | head -1`) ends the output quietly, as for any Unix filter.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => process.exit(err.code === 'EPIPE' ? 0 : reportError(err, false)));
  const program = buildProgram((c) => (code = c));
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) code = err.exitCode === 0 ? 0 : 1;
    else code = reportError(err, process.argv.includes('--debug'));
  }
  process.exitCode = code;
}

// The benchmark reads the client's peak memory from here; nothing else uses it.
if (process.env.TROUPE_REPORT_MAXRSS) {
  process.on('exit', () => process.stderr.write(`troupe-maxrss-kb=${process.resourceUsage().maxRSS}\n`));
}

await main();
// The command is done. A handle a library failed to release (nats.js keeps the socket of a handshake that
// timed out) must not keep it from exiting; the timer is unref'd, so a clean exit does not wait for it.
setTimeout(() => process.exit(), 500).unref();
