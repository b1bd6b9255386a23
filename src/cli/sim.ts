// `mco sim`: a fleet of virtual nodes in this process, for demos, tests and benchmarks.
import { Option, type Command } from 'commander';
import { RAW_RESPONDER_AGENT } from '../devkit/floor.js';
import type { Connector } from '../transport/index.js';
import { loadConfig, type Config } from '../config/index.js';
import { FleetSimulator } from '../server/simulator.js';
import { generateFleet, loadFleetFile } from '../server/fleet.js';
import { createLogger } from '../server/logging.js';
import { builtinAgents } from '../plugins/agents/index.js';
import { builtinDataPlugins } from '../plugins/data/index.js';
import { connectorFromConfig } from '../transport/factory.js';
import { natsRegistrarFor } from '../transport/nats-registry.js';
import { registryBucketFromConfig } from './registry.js';
import { UsageError } from '../client/errors.js';
import { auditorFromConfig, authorizerFromConfig, fleetSecurityFromConfig } from './security.js';
import { positiveInteger } from './options.js';
import { VERSION_STRING } from './version.js';
import type { ConfigFlags, Run } from './run.js';

interface SimFlags extends ConfigFlags {
  fleet?: string;
  nodes?: number;
  /** Defaults to node. */
  prefix: string;
  offset?: number;
  server?: string;
  collective?: string;
  /** Defaults to warn. */
  logLevel: string;
  rawResponder?: boolean;
}

async function runSim(flags: SimFlags): Promise<number> {
  if (!flags.fleet === !flags.nodes) throw new UsageError('give either --fleet FILE or --nodes N');
  const overrides: Record<string, string> = {};
  if (flags.server) overrides.middleware_hosts = flags.server;
  if (flags.collective) overrides.collectives = flags.collective;
  const config = loadConfig(flags.config, overrides);
  const fleet = flags.fleet ? loadFleetFile(flags.fleet) : generateFleet(flags.nodes!, flags.prefix, flags.offset ?? 0);
  const logger = createLogger({ level: flags.logLevel, file: config.get('logfile') || undefined, name: 'troupe-sim' });
  const connectors: Connector[] = [];
  const fleetSecurity = fleetSecurityFromConfig(config, logger);
  const auditor = auditorFromConfig(config);
  const sim = new FleetSimulator({
    nodes: fleet.nodes,
    collectives: config.get('collectives'),
    mainCollective: config.get('main_collective'),
    connectorFor: (identity) => {
      const connector = connectorFromConfig(config, { name: `troupe-sim ${identity}`, waitForBroker: true, identity });
      connectors.push(connector);
      return connector;
    },
    security: fleetSecurity.securityFor,
    authorizer: authorizerFromConfig(config, logger),
    auditor,
    agents: builtinAgents(),
    dataPlugins: builtinDataPlugins(),
    logger,
    maxMessageSize: config.get('max_message_size'),
    version: VERSION_STRING,
    pluginSettings: (agent) => config.plugin(agent),
    registration: simRegistration(config),
  });
  const started = performance.now();
  await sim.start((n) => process.stderr.write(`sim: ${n} nodes connected\n`));
  if (flags.rawResponder) await addRawResponders(connectors, config.get('main_collective'));
  process.stdout.write(
    `sim ready: ${fleet.nodes.length} nodes on ${config.get('middleware_hosts').join(',')} in ${Math.round(performance.now() - started)} ms\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  await sim.stop();
  fleetSecurity.close();
  auditor?.close();
  return 0;
}

/** Virtual nodes register as daemons do (`registerinterval`, `registration_splay`), into one bucket per process. */
function simRegistration(config: Config) {
  const interval = config.get('registerinterval');
  if (interval === 0) return undefined;
  const bucket = registryBucketFromConfig(config);
  return {
    registrarFor: (c: Connector) => natsRegistrarFor(c, bucket),
    intervalMs: interval * 1000,
    splayMs: config.get('registration_splay') * 1000,
  };
}

/**
 * The benchmark's floor: every virtual node's connection also answers a bare broadcast by echoing a few bytes to the
 * reply subject carried in the payload, with none of troupe's pipeline in the way. Same connections, same fan-out shape.
 */
async function addRawResponders(connectors: readonly Connector[], collective: string): Promise<void> {
  const decoder = new TextDecoder();
  const pong = new TextEncoder().encode('pong');
  for (const c of connectors) {
    await c.subscribe(
      { kind: 'broadcast', collective, agent: RAW_RESPONDER_AGENT },
      (msg) => void c.reply(decoder.decode(msg.data), pong).catch(() => undefined),
    );
  }
  await Promise.all(connectors.map((c) => c.flush()));
}

export function registerSimCommand(program: Command, run: Run): void {
  program
    .command('sim')
    .description('run many simulated nodes in one process through the real daemon code')
    .option('--fleet <file>', 'fleet description: {"nodes":[{"identity","facts","classes","agents"}]}')
    .option('--nodes <count>', 'generate COUNT nodes with varied facts', positiveInteger)
    .option('--prefix <name>', 'identity prefix for generated nodes', 'node')
    .option('--offset <n>', 'index of the first generated node', (v) => Number(v))
    .option('--server <urls>', 'broker URLs (overrides middleware_hosts)')
    .option('--collective <names>', 'collectives (overrides collectives)')
    .option('--log-level <level>', 'log level', 'warn')
    .addOption(new Option('--raw-responder', `also answer bare broadcasts on agent '${RAW_RESPONDER_AGENT}' (benchmark floor)`).hideHelp())
    .option('-c, --config <file>', 'config file for broker and security settings')
    .option('--debug', 'print stack traces on errors')
    .action(run((flags: SimFlags) => runSim(flags)));
}
