// `mco server run`: the node daemon. SIGTERM/SIGINT drain and exit; SIGHUP re-reads config, facts and what agents cached.
import type { Command } from 'commander';
import type { Logger } from 'pino';
import { ConfigError, domainFromFacts, loadConfig, defaultConfigPath, type Config } from '../config/index.js';
import type { DaemonObserver } from '../server/metrics.js';
import { Daemon } from '../server/daemon.js';
import { createLogger } from '../server/logging.js';
import { factSourceFromConfig, type ConfiguredFactSource, type Facts } from '../plugins/facts/index.js';
import { builtinAgents } from '../plugins/agents/index.js';
import { builtinDataPlugins } from '../plugins/data/index.js';
import { InsecureProvider } from '../security/index.js';
import { connectorFromConfig } from '../transport/factory.js';
import { natsRegistrarFor } from '../transport/nats-registry.js';
import { registryBucketFromConfig } from './registry.js';
import { runGovernorsFor } from './governor.js';
import { auditorFromConfig, authorizerFromConfig, reconfigureReplayCache, replayCacheFromConfig, securityFromConfig } from './security.js';
import type { ReplayCache } from '../security/trust/replay-cache.js';
import { UsageError } from '../client/errors.js';
import { VERSION_STRING } from './version.js';
import type { ConfigFlags, Run } from './run.js';

/**
 * The metrics endpoint `metrics_port` asks for, or none. prom-client is loaded only then. A non-loopback
 * `metrics_bind` needs `metrics_allow_remote`: the endpoint has no authentication.
 */
export async function metricsFromConfig(config: Config): Promise<DaemonObserver | undefined> {
  const port = config.get('metrics_port');
  if (port === 0) return undefined;
  const { DaemonMetrics, isLoopback } = await import('../server/metrics.js');
  const host = config.get('metrics_bind');
  if (!isLoopback(host) && !config.get('metrics_allow_remote')) {
    throw new ConfigError(
      'CONFIG_BAD_VALUE',
      `metrics_bind = ${host} is not a loopback address, and the metrics endpoint has no authentication`,
      { key: 'metrics_bind', file: config.file, suggestion: undefined },
    );
  }
  return new DaemonMetrics({ identity: config.get('identity'), listen: { host, port } });
}

/** The domain in the node's facts (Facter's), or none while they cannot be read. */
function factDomainOf(facts: ConfiguredFactSource): string | undefined {
  try {
    return domainFromFacts(facts.load().facts);
  } catch {
    return undefined;
  }
}

/**
 * `replay`: the process's replay record, reused across SIGHUP reloads. `facts`: the node's fact sources (those
 * `factsource` names, by default).
 */
export async function buildDaemon(
  config: Config,
  logger: Logger,
  replay?: ReplayCache,
  facts: ConfiguredFactSource = factSourceFromConfig(config, { logger }),
): Promise<Daemon> {
  const metrics = await metricsFromConfig(config);
  const security = securityFromConfig(config, 'server', logger, replay);
  if (security instanceof InsecureProvider) logger.warn(InsecureProvider.WARNING);
  const connector = connectorFromConfig(config, {
    name: `troupe-node ${config.get('identity')}`,
    waitForBroker: true,
    identity: config.get('identity'),
    factDomain: () => factDomainOf(facts),
  });
  return new Daemon({
    config,
    connector,
    registrar: natsRegistrarFor(connector, registryBucketFromConfig(config)),
    security,
    authorizer: authorizerFromConfig(config, logger),
    auditor: auditorFromConfig(config),
    agents: builtinAgents({ puppet: { governors: runGovernorsFor(connector) } }),
    dataPlugins: builtinDataPlugins(),
    facts,
    logger,
    version: VERSION_STRING,
    metrics,
  });
}

async function runServer(flags: ConfigFlags): Promise<number> {
  const file = flags.config ?? defaultConfigPath('server');
  if (!file) throw new UsageError('the daemon needs a config file', 'mco server run --config /etc/troupe/server.cfg');
  let config = loadConfig(file);
  let logger = createLogger({ level: config.get('loglevel'), file: config.get('logfile') || undefined });
  // One replay record for the life of the process: a reload that forgot it would let every recent request run again.
  let replay: ReplayCache | undefined;
  const replayFor = (cfg: Config): ReplayCache | undefined => {
    if (cfg.get('securityprovider') !== 'pki') return replay;
    if (replay) {
      reconfigureReplayCache(replay, cfg);
      if (cfg.get('plugin.security.replay_file') !== config.get('plugin.security.replay_file'))
        logger.warn('plugin.security.replay_file changes take effect on restart');
      return replay;
    }
    replay = replayCacheFromConfig(cfg);
    logReplayRecord(replay, cfg, logger);
    return replay;
  };
  // Facter's last facts outlive a reload: the rebuilt daemon answers with them until Facter has run again.
  let facts = factSourceFromConfig(config, { logger });
  const nextFacts = (cfg: Config, log: Logger): ConfiguredFactSource => {
    const facterSeed: Facts | undefined = facts.lastFacterFacts;
    return (facts = factSourceFromConfig(cfg, { logger: log, facterSeed }));
  };
  let daemon = await buildDaemon(config, logger, replayFor(config), facts);
  await daemon.start();

  let busy: Promise<void> = Promise.resolve();
  const serially = (job: () => Promise<void>) => (busy = busy.then(job).catch((err) => logger.error({ err }, 'signal handling failed')));

  return new Promise<number>((resolve) => {
    const shutdown = (signal: string) =>
      serially(async () => {
        logger.info({ signal }, 'draining and stopping');
        await daemon.stop();
        replay?.close();
        logger.flush();
        resolve(0);
      });
    // serially() queues the job and logs its failure; a signal handler only starts it.
    process.once('SIGTERM', () => void shutdown('SIGTERM'));
    process.once('SIGINT', () => void shutdown('SIGINT'));
    process.on(
      'SIGHUP',
      () =>
        void serially(async () => {
          // Puppet's settings and the like: read afresh whether or not the config itself reloads.
          daemon.reloadAgents();
          let next: Config;
          try {
            next = loadConfig(file);
          } catch (err) {
            logger.error({ err: (err as Error).message }, 'config reload failed; keeping the running configuration');
            daemon.reloadFacts();
            return;
          }
          logger.info({ file }, 'reloading configuration');
          await daemon.stop();
          const reused = replayFor(next);
          config = next;
          logger = createLogger({ level: config.get('loglevel'), file: config.get('logfile') || undefined });
          daemon = await buildDaemon(config, logger, reused, nextFacts(config, logger));
          await daemon.start();
        }),
    );
  });
}

function logReplayRecord(replay: ReplayCache, config: Config, logger: Logger): void {
  const file = config.get('plugin.security.replay_file') || undefined;
  if (replay.since === 0)
    logger.info({ file, ids: replay.size }, 'replay record loaded: request ids that ran before this start are still refused');
  else
    logger.info(
      { file, since: new Date(replay.since).toISOString() },
      'no earlier replay record: requests dated before this start are refused',
    );
}

export function registerServerCommands(program: Command, run: Run): void {
  const server = program.command('server').description('the node daemon');
  server
    .command('run')
    .description('run the node daemon in the foreground')
    .option('-c, --config <file>', 'server config file (default /etc/troupe/server.cfg)')
    .option('--debug', 'print stack traces on errors')
    .action(run((flags: ConfigFlags) => runServer(flags)));
}
