// `mco server run`: the node daemon. SIGTERM/SIGINT drain and exit; SIGHUP re-reads config and facts.
import type { Command } from 'commander';
import type { Logger } from 'pino';
import { loadConfig, defaultConfigPath, type Config } from '../config/index.js';
import { Daemon, type FactSource } from '../server/daemon.js';
import { createLogger } from '../server/logging.js';
import { FactWatcher, loadClassesFile, loadFactFiles } from '../plugins/facts/index.js';
import { builtinAgents } from '../plugins/agents/index.js';
import { InsecureProvider } from '../security/index.js';
import { connectorFromConfig } from '../transport/factory.js';
import { natsRegistrarFor } from '../transport/nats-registry.js';
import { registryBucketFromConfig } from './registry.js';
import { auditorFromConfig, authorizerFromConfig, securityFromConfig } from './security.js';
import { UsageError } from '../client/errors.js';
import { VERSION_STRING } from './version.js';

/** Fact files and Puppet's classes file, polled for changes. */
export function fileFactSource(config: Config): FactSource {
  const paths = config.get('plugin.yaml');
  const classesFile = config.get('classesfile');
  let watcher: FactWatcher | undefined;
  return {
    load: () => ({ facts: loadFactFiles(paths), classes: loadClassesFile(classesFile) }),
    watch(onChange, onError) {
      watcher = new FactWatcher(paths, classesFile, config.get('fact_reload_interval') * 1000, (facts, classes) => onChange({ facts, classes }), onError);
      // The daemon has just loaded these files: remember their state so only later changes count as reloads.
      try {
        watcher.reload();
      } catch {
        // Broken now: start() reports it through onError.
      }
      watcher.start();
    },
    close: () => watcher?.stop(),
  };
}

export function buildDaemon(config: Config, logger: Logger): Daemon {
  const security = securityFromConfig(config, 'server', logger);
  if (security instanceof InsecureProvider) logger.warn(InsecureProvider.WARNING);
  const connector = connectorFromConfig(config, { name: `troupe-node ${config.get('identity')}`, waitForBroker: true, identity: config.get('identity') });
  return new Daemon({
    config,
    connector,
    registrar: natsRegistrarFor(connector, registryBucketFromConfig(config)),
    security,
    authorizer: authorizerFromConfig(config, logger),
    auditor: auditorFromConfig(config),
    agents: builtinAgents(),
    facts: fileFactSource(config),
    logger,
    version: VERSION_STRING,
  });
}

async function runServer(raw: Record<string, unknown>): Promise<number> {
  const file = (raw.config as string | undefined) ?? defaultConfigPath('server');
  if (!file) throw new UsageError('the daemon needs a config file', 'mco server run --config /etc/troupe/server.cfg');
  let config = loadConfig(file);
  let logger = createLogger({ level: config.get('loglevel'), file: config.get('logfile') || undefined });
  let daemon = buildDaemon(config, logger);
  await daemon.start();

  let busy: Promise<void> = Promise.resolve();
  const serially = (job: () => Promise<void>) => (busy = busy.then(job).catch((err) => logger.error({ err }, 'signal handling failed')));

  return new Promise<number>((resolve) => {
    const shutdown = (signal: string) =>
      serially(async () => {
        logger.info({ signal }, 'draining and stopping');
        await daemon.stop();
        logger.flush();
        resolve(0);
      });
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.on('SIGHUP', () =>
      serially(async () => {
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
        config = next;
        logger = createLogger({ level: config.get('loglevel'), file: config.get('logfile') || undefined });
        daemon = buildDaemon(config, logger);
        await daemon.start();
      }),
    );
  });
}

export function registerServerCommands(program: Command, run: (fn: (...args: any[]) => Promise<number> | number) => (...args: unknown[]) => Promise<void>): void {
  const server = program.command('server').description('the node daemon');
  server
    .command('run')
    .description('run the node daemon in the foreground')
    .option('-c, --config <file>', 'server config file (default /etc/troupe/server.cfg)')
    .option('--debug', 'print stack traces on errors')
    .action(run((raw: Record<string, unknown>) => runServer(raw)));
}
