// `mco broker config` (write the nats-server configuration from the troupe CA) and `mco broker reload`.
// Also the hook `mco ca sign|revoke|generate` call so the broker's users follow the CA.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { defaultConfigPath, loadConfig, shellCommand, type Config } from '../config/index.js';
import { UsageError } from '../client/errors.js';
import type { BrokerSettings, BrokerUser, ReloadOutcome } from '../broker/index.js';
import { checkHostPort, siteLayoutFrom } from '../broker/sites.js';

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
  site?: string;
  serverName?: string;
  clusterListen?: string;
  routes?: string;
  gatewayListen?: string;
  gateways?: string;
  leafnodeListen?: string;
  leafRemotes?: string;
  jetstreamDomain?: string;
  hubDomain?: string;
  gatewaySites?: string;
  leafSites?: string;
  monitor?: string;
}

/** Exit status of `mco broker config|reload` and `mco ca …` when the broker must restart to apply the file. */
export const BROKER_RESTART_NEEDED = 3;

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
  const jetstreamDir =
    flags.jetstreamDir !== undefined ? flags.jetstreamDir && resolve(flags.jetstreamDir) : config.get('plugin.broker.jetstream_dir');
  const listOf = (
    flag: string | undefined,
    key: 'plugin.broker.routes' | 'plugin.broker.leaf_remotes' | 'plugin.broker.gateway_sites' | 'plugin.broker.leaf_sites',
  ) => (flag !== undefined ? list(flag) : [...config.get(key)]);
  const layout = siteLayoutFrom(
    {
      site: flags.site ?? config.get('plugin.broker.site'),
      serverName: flags.serverName ?? config.get('plugin.broker.server_name'),
      clusterListen: flags.clusterListen ?? config.get('plugin.broker.cluster_listen'),
      routes: listOf(flags.routes, 'plugin.broker.routes'),
      gatewayListen: flags.gatewayListen ?? config.get('plugin.broker.gateway_listen'),
      gateways: flags.gateways ?? config.get('plugin.broker.gateways'),
      leafnodeListen: flags.leafnodeListen ?? config.get('plugin.broker.leafnode_listen'),
      leafRemotes: listOf(flags.leafRemotes, 'plugin.broker.leaf_remotes'),
      jetstreamDomain: flags.jetstreamDomain ?? config.get('plugin.broker.jetstream_domain'),
      hubDomain: flags.hubDomain ?? config.get('plugin.broker.hub_domain'),
      gatewaySites: listOf(flags.gatewaySites, 'plugin.broker.gateway_sites'),
      leafSites: listOf(flags.leafSites, 'plugin.broker.leaf_sites'),
    },
    certName(resolve(certFile)),
    jetstreamDir !== '',
  );
  const monitor = flags.monitor ?? config.get('plugin.broker.monitor');
  if (monitor) checkHostPort(monitor, 'plugin.broker.monitor (--monitor)', '127.0.0.1:8222');
  return {
    caDir: resolve(flags.caDir ?? config.get('plugin.ca.dir')),
    listen,
    certFile: resolve(certFile),
    keyFile: resolve(keyFile),
    collectives,
    registryBucket: config.get('registry_bucket'),
    operatorPattern: config.get('plugin.security.client_pattern'),
    pidFile: resolve(pidFile),
    jetstreamDir,
    maxPayload: config.get('plugin.broker.max_payload'),
    planBucket: config.get('plan_bucket'),
    governors: config.get('plugin.broker.governors'),
    nodeGovernors: config.get('plugin.broker.node_governors'),
    webConsoles: config.get('plugin.broker.web_consoles'),
    webBucket: config.get('web.jobs_bucket'),
    ...(layout ? { layout } : {}),
    ...(monitor ? { monitor } : {}),
  };
}

/** The common name of the broker's certificate: its default server name; '' when it cannot be read (reported later). */
function certName(file: string): string {
  try {
    const subject = new X509Certificate(readFileSync(file)).subject;
    return /^CN=(.*)$/m.exec(subject)?.[1] ?? '';
  } catch {
    return '';
  }
}

function describeUsers(users: readonly BrokerUser[]): string {
  const nodes = users.filter((u) => u.role === 'node').length;
  return `${nodes} node${nodes === 1 ? '' : 's'}, ${users.length - nodes} operator${users.length - nodes === 1 ? '' : 's'}`;
}

function describeReload(reload: ReloadOutcome): string {
  if (reload.signalled) return `signalled the broker (pid ${reload.pid}) to reload it`;
  if (reload.restartNeeded) return `not signalled: ${reload.reason}`;
  return `${reload.reason}; it reads the file when it starts`;
}

const exitOf = (reload: ReloadOutcome) => (reload.restartNeeded ? BROKER_RESTART_NEEDED : 0);

async function brokerConfig(flags: BrokerFlags): Promise<number> {
  const config = configOf(flags);
  const file = flags.out ?? config.get('plugin.broker.config_file');
  if (!file) throw new UsageError('no file to write', 'pass --out FILE, or set plugin.broker.config_file');
  const { applyBrokerConfig } = await import('../broker/index.js');
  const settings = settingsFrom(flags, config, resolve(file));
  const written = applyBrokerConfig(resolve(file), settings);
  out(`Wrote ${written.file}: ${describeUsers(written.users)} of the CA in ${settings.caDir}, each limited to its own subjects`);
  if (settings.layout)
    out(
      `Site ${settings.layout.site}, server ${settings.layout.serverName}: ${written.peers.length} broker certificate${written.peers.length === 1 ? '' : 's'} admitted on routes, gateways and leafnodes`,
    );
  out(`Run the broker with: ${shellCommand(['nats-server', '-c', written.file])}`);
  out(
    `After \`mco ca sign|revoke\` run \`${shellCommand(['mco', 'broker', 'reload', '--file', written.file])}\` (automatic with plugin.broker.config_file = ${written.file})`,
  );
  const reload = written.reload;
  if (reload.signalled || reload.restartNeeded) out(describeReload(reload));
  return exitOf(reload);
}

async function brokerReload(flags: BrokerFlags): Promise<number> {
  const config = configOf(flags);
  const file = flags.file ?? config.get('plugin.broker.config_file');
  if (!file) throw new UsageError('no broker configuration named', 'pass --file FILE, or set plugin.broker.config_file');
  const { refreshBroker } = await import('../broker/index.js');
  const r = refreshBroker(resolve(file));
  out(`Rewrote ${r.file}: ${describeUsers(r.users)}; ${describeReload(r.reload)}`);
  return exitOf(r.reload);
}

/** After the CA signed or revoked: rewrite the broker's configuration and reload it, when one is configured. */
export async function followCaChange(config: Config): Promise<number> {
  const file = config.get('plugin.broker.config_file');
  if (!file) return 0;
  const { refreshBroker } = await import('../broker/index.js');
  const r = refreshBroker(resolve(file));
  out(`Broker configuration ${r.file} rewritten (${describeUsers(r.users)}); ${describeReload(r.reload)}`);
  return exitOf(r.reload);
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
    .option('--site <name>', 'the site the broker is in; names its cluster and gateway (default: plugin.broker.site)')
    .option('--server-name <name>', "unique server name (default: plugin.broker.server_name, else the certificate's name)")
    .option('--cluster-listen <host:port>', 'route port for the brokers of the site (default: plugin.broker.cluster_listen)')
    .option('--routes <urls>', 'the other brokers of the site, tls://HOST:PORT, comma-separated (default: plugin.broker.routes)')
    .option('--gateway-listen <host:port>', 'gateway port for other sites (default: plugin.broker.gateway_listen)')
    .option('--gateways <list>', 'gateway sites, NAME=URL|URL,NAME=URL (default: plugin.broker.gateways)')
    .option('--leafnode-listen <host:port>', "port leaf sites' brokers dial (default: plugin.broker.leafnode_listen)")
    .option('--leaf-remotes <urls>', 'a leaf site: the hub leafnode URLs to dial, comma-separated (default: plugin.broker.leaf_remotes)')
    .option('--jetstream-domain <name>', 'JetStream domain (default: the hub domain, or the site name on a leaf site)')
    .option('--hub-domain <name>', "the gateway sites' JetStream domain (default: plugin.broker.hub_domain)")
    .option('--gateway-sites <names>', "every gateway site, for operators' registry reads (default: plugin.broker.gateway_sites)")
    .option('--leaf-sites <list>', 'every leaf site, SITE or SITE=DOMAIN (default: plugin.broker.leaf_sites)')
    .option('--monitor <host:port>', "nats-server's monitoring port (default: plugin.broker.monitor)")
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
