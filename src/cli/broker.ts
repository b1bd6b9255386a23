// `mco broker config` (write the nats-server configuration from the troupe CA) and `mco broker reload`.
// Also the hook `mco ca sign|revoke|generate` call so the broker's users follow the CA.
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { defaultConfigPath, loadConfig, shellCommand, type Config } from '../config/index.js';
import { UsageError } from '../client/errors.js';
import type { BrokerSettings, BrokerUser, ReloadOutcome } from '../broker/index.js';

import type { ConfigFlags, Run } from './run.js';

interface BrokerFlags extends ConfigFlags {
  out?: string;
  file?: string;
  caDir?: string;
  listen?: string;
  cert?: string;
  key?: string;
  collectives?: string;
  pidFile?: string;
  jetstreamDir?: string;
}

const out = (line: string) => process.stdout.write(line + '\n');

function configOf(flags: ConfigFlags): Config {
  return loadConfig(flags.config ?? defaultConfigPath('client'));
}

const list = (value: string) =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

function settingsFrom(flags: BrokerFlags, config: Config, file: string): BrokerSettings {
  const certFile = flags.cert ?? config.get('plugin.broker.cert');
  const keyFile = flags.key ?? config.get('plugin.broker.key');
  if (!certFile || !keyFile)
    throw new UsageError(
      "the broker's own certificate and key are needed",
      'pass --cert and --key, or set plugin.broker.cert and plugin.broker.key (issue them with `mco ca generate NAME --alt-names …`)',
    );
  const listen = flags.listen ?? config.get('plugin.broker.listen');
  if (!/^[^\s"]*:\d{1,5}$/.test(listen))
    throw new UsageError(`listen address '${listen}' is not HOST:PORT`, 'mco broker config --listen 0.0.0.0:4222');
  const collectives = flags.collectives ? list(flags.collectives) : config.get('collectives');
  const bad = collectives.find((c) => !/^[A-Za-z0-9_-]+$/.test(c));
  if (bad !== undefined || collectives.length === 0)
    throw new UsageError(`'${bad ?? ''}' is not a collective name`, 'collectives are letters, digits, _ and -, comma-separated');
  const pidFile = flags.pidFile ?? (config.get('plugin.broker.pid_file') || join(dirname(file), 'nats-server.pid'));
  return {
    caDir: resolve(flags.caDir ?? config.get('plugin.ca.dir')),
    listen,
    certFile: resolve(certFile),
    keyFile: resolve(keyFile),
    collectives,
    registryBucket: config.get('registry_bucket'),
    operatorPattern: config.get('plugin.security.client_pattern'),
    pidFile: resolve(pidFile),
    jetstreamDir:
      flags.jetstreamDir !== undefined ? flags.jetstreamDir && resolve(flags.jetstreamDir) : config.get('plugin.broker.jetstream_dir'),
    maxPayload: config.get('plugin.broker.max_payload'),
    planBucket: config.get('plan_bucket'),
    governors: config.get('plugin.broker.governors'),
    nodeGovernors: config.get('plugin.broker.node_governors'),
    webConsoles: config.get('plugin.broker.web_consoles'),
    webBucket: config.get('web.jobs_bucket'),
  };
}

function describeUsers(users: readonly BrokerUser[]): string {
  const nodes = users.filter((u) => u.role === 'node').length;
  return `${nodes} node${nodes === 1 ? '' : 's'}, ${users.length - nodes} operator${users.length - nodes === 1 ? '' : 's'}`;
}

function describeReload(reload: ReloadOutcome): string {
  return reload.signalled ? `signalled the broker (pid ${reload.pid}) to reload it` : `${reload.reason}; it reads the file when it starts`;
}

async function brokerConfig(flags: BrokerFlags): Promise<number> {
  const config = configOf(flags);
  const file = flags.out ?? config.get('plugin.broker.config_file');
  if (!file) throw new UsageError('no file to write', 'pass --out FILE, or set plugin.broker.config_file');
  const { writeBrokerConfig, signalBrokerReload } = await import('../broker/index.js');
  const settings = settingsFrom(flags, config, resolve(file));
  const written = writeBrokerConfig(resolve(file), settings);
  out(`Wrote ${written.file}: ${describeUsers(written.users)} of the CA in ${settings.caDir}, each limited to its own subjects`);
  out(`Run the broker with: ${shellCommand(['nats-server', '-c', written.file])}`);
  out(
    `After \`mco ca sign|revoke\` run \`${shellCommand(['mco', 'broker', 'reload', '--file', written.file])}\` (automatic with plugin.broker.config_file = ${written.file})`,
  );
  const reload = signalBrokerReload(settings.pidFile);
  if (reload.signalled) out(describeReload(reload));
  return 0;
}

async function brokerReload(flags: BrokerFlags): Promise<number> {
  const config = configOf(flags);
  const file = flags.file ?? config.get('plugin.broker.config_file');
  if (!file) throw new UsageError('no broker configuration named', 'pass --file FILE, or set plugin.broker.config_file');
  const { refreshBroker } = await import('../broker/index.js');
  const r = refreshBroker(resolve(file));
  out(`Rewrote ${r.file}: ${describeUsers(r.users)}; ${describeReload(r.reload)}`);
  return 0;
}

/** After the CA signed or revoked: rewrite the broker's configuration and reload it, when one is configured. */
export async function followCaChange(config: Config): Promise<void> {
  const file = config.get('plugin.broker.config_file');
  if (!file) return;
  const { refreshBroker } = await import('../broker/index.js');
  const r = refreshBroker(resolve(file));
  out(`Broker configuration ${r.file} rewritten (${describeUsers(r.users)}); ${describeReload(r.reload)}`);
}

export function registerBrokerCommands(program: Command, run: Run): void {
  const broker = program.command('broker').description("the broker's nats-server configuration: users and permissions from the CA");
  broker
    .command('config')
    .description('write a nats-server configuration: TLS from the CA, one user per certificate, per-identity permissions')
    .option('--out <file>', 'file to write (default: plugin.broker.config_file)')
    .option('--ca-dir <dir>', 'CA directory (default: plugin.ca.dir)')
    .option('--listen <host:port>', 'client address of the broker (default: plugin.broker.listen)')
    .option('--cert <file>', "the broker's certificate (default: plugin.broker.cert)")
    .option('--key <file>', "the broker's private key (default: plugin.broker.key)")
    .option('--collectives <names>', 'collectives, comma-separated (default: collectives)')
    .option('--pid-file <file>', 'where the broker writes its pid (default: plugin.broker.pid_file)')
    .option('--jetstream-dir <dir>', "JetStream store, '' for none (default: plugin.broker.jetstream_dir)")
    .option('-c, --config <file>', 'config file')
    .option('--debug', 'print stack traces on errors')
    .action(run((flags: BrokerFlags) => brokerConfig(flags)));
  broker
    .command('reload')
    .description('rewrite the configuration from the CA as it is now and signal the broker to reload it')
    .option('--file <file>', 'configuration written by `mco broker config` (default: plugin.broker.config_file)')
    .option('-c, --config <file>', 'config file')
    .option('--debug', 'print stack traces on errors')
    .action(run((flags: BrokerFlags) => brokerReload(flags)));
}
