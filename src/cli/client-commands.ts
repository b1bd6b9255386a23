// `mco ping`, `find`, `rpc`, `facts`, `inventory` and `plugin`: the client applications of apps.ts on the command line.
import { InvalidArgumentError, type Command } from 'commander';
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
import { registerPluginGenerate } from './plugin-generate.js';

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

export function registerClientCommands(program: Command, run: Run): void {
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

  addFilterOptions(
    program.command('inventory').description("show one node's statistics, agents, classes and facts, or the nodes in each collective"),
  )
    .argument('[identity]', 'node identity')
    .option('-t, --timeout <seconds>', 'longest wait for the reply', Number)
    .option('--registry', "read the node's registration record instead of asking the node (shows when it was last seen)")
    .option('--lc, --list-collectives', 'count the nodes in each collective (rpcutil#collective_info on every discovered node)')
    .action(run((identity: string | undefined, flags: InventoryFlags) => withSession(flags, (s) => inventoryCommand(s, identity, flags))));

  const plugin = program.command('plugin').description('inspect plugins');
  plugin
    .command('doc')
    .description("show an agent's or data plugin's documentation from its DDL")
    .argument('[plugin]', 'agent name (or agent/NAME), or data/NAME for a data plugin')
    .option('-c, --config <file>', 'client config file')
    .option('--debug', 'print stack traces on errors')
    .action(run((agent: string | undefined, flags: ConfigFlags) => pluginDocCommand(new CliSession(clientConfig(flags.config)), agent)));
  registerPluginGenerate(plugin, run);
}
