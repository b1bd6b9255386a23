// The table of `mco`'s commands. Each entry names the top-level commands a module declares and loads that module
// only when one of them runs (or when every command must be known: help, an unknown command). Start-up therefore
// pays only for the command in use: `mco ping` never loads the CA, the daemon, the plan runner or fastify.
// A new command is one entry here; its module exports `register(program, run)` and may import what it needs.
import type { Command } from 'commander';
import type { Run } from './run.js';

export type Register = (program: Command, run: Run) => unknown;

export interface CommandEntry {
  /** The top-level command names the module declares. */
  readonly names: readonly string[];
  readonly load: () => Promise<Register>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    names: ['ping', 'find', 'rpc', 'facts', 'inventory', 'plugin'],
    load: async () => (await import('./client-commands.js')).registerClientCommands,
  },
  { names: ['server'], load: async () => (await import('./server.js')).registerServerCommands },
  { names: ['sim'], load: async () => (await import('./sim.js')).registerSimCommand },
  { names: ['puppet'], load: async () => (await import('./puppet.js')).registerPuppetCommand },
  { names: ['ca', 'enroll'], load: async () => (await import('./ca.js')).registerSecurityCommands },
  { names: ['broker'], load: async () => (await import('./broker.js')).registerBrokerCommands },
  {
    names: ['plan'],
    load: async () => {
      const [{ registerPlanCommand }, { registerPlanRunCommands }] = await Promise.all([import('./plan.js'), import('./plan-run.js')]);
      return (program, run) => {
        registerPlanCommand(program, run);
        registerPlanRunCommands(program, run);
      };
    },
  },
  { names: ['governor'], load: async () => (await import('./governor.js')).registerGovernorCommands },
];

/**
 * The entries a command line needs: the one declaring its command, none for a bare `--version`, and all of them
 * when there is no command (help) or an unknown one (commander's suggestions need every name).
 */
export function entriesFor(args: readonly string[], table: readonly CommandEntry[] = COMMANDS): readonly CommandEntry[] {
  const first = args.find((a) => !a.startsWith('-'));
  if (first === undefined) return args.includes('--version') && !args.some((a) => a === '-h' || a === '--help') ? [] : table;
  const entry = table.find((e) => e.names.includes(first));
  return entry ? [entry] : table;
}
