// `mco plugin generate client AGENT [--out FILE]`: an agent's DDL as a typed TypeScript client module.
import { renameSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadDDLFile, type AgentDDL } from '../ddl/index.js';
import { generateClient } from '../ddl/generate-client.js';
import { UsageError } from '../client/errors.js';
import { CliSession, clientConfig } from './session.js';
import type { ConfigFlags, Run } from './run.js';

interface GenerateFlags extends ConfigFlags {
  out?: string;
  /** Defaults to troupe. */
  importFrom: string;
}

/** AGENT is a known agent's name, or the path of a `.ddl.json` file. */
function ddlFor(agent: string, flags: ConfigFlags): AgentDDL {
  if (agent.endsWith('.json') || agent.includes('/')) return loadDDLFile(agent);
  const ddl = new CliSession(clientConfig(flags.config)).ddls.find(agent);
  if (!ddl)
    throw new UsageError(`unknown agent '${agent}'`, `'mco plugin doc' lists the agents this client knows, or name a .ddl.json file`);
  return ddl;
}

/** Written beside the target and renamed over it, so a failure never leaves half a file. */
function writeWhole(file: string, text: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}

export function registerPluginGenerate(plugin: Command, run: Run): void {
  const generate = plugin.command('generate').description('generate code from plugins');
  generate
    .command('client')
    .description("write a typed TypeScript client for an agent from its DDL (for the troupe library's t.agent())")
    .argument('<agent>', 'agent name, or the path of a .ddl.json file')
    .option('-o, --out <file>', 'write the module to FILE instead of standard output')
    .option('--import-from <module>', 'the module the generated code imports from', 'troupe')
    .option('-c, --config <file>', 'client config file (for plugindirs)')
    .option('--debug', 'print stack traces on errors')
    .action(
      run((agent: string, flags: GenerateFlags) => {
        const ddl = ddlFor(agent, flags);
        const text = generateClient(ddl, { importFrom: flags.importFrom, command: `mco plugin generate client ${ddl.metadata.name}` });
        if (flags.out === undefined) {
          process.stdout.write(text);
          return 0;
        }
        writeWhole(flags.out, text);
        process.stdout.write(
          `Wrote ${flags.out}: ${ddl.metadata.name} ${ddl.metadata.version}, ${Object.keys(ddl.actions).length} actions\n`,
        );
        return 0;
      }),
    );
}
