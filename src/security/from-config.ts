// Security providers from configuration, for clients and nodes alike.
// The only place that reads certificate paths, so Puppet ssldir layout and explicit paths behave the same everywhere.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { caServiceUrl, type Config } from '../config/index.js';
import { SecurityError, type SecurityProvider } from './provider.js';
import { InsecureProvider } from './providers/insecure.js';
import { PkiProvider, type PkiIdentity } from './providers/pki.js';
import { TrustStore } from './trust/trust-store.js';
import { ReplayCache } from './trust/replay-cache.js';
import { ReplayJournal } from './trust/replay-journal.js';
import type { AgeRule } from './age.js';
import { VerifiedSignatures } from './trust/verified-signatures.js';
import { CrlRefresher } from './trust/crl-refresher.js';
import type { KeyObject } from 'node:crypto';
import { privateKeyFromPem } from './pki/keys.js';
import { parseCertificate, publicKeyOf } from './pki/certificate.js';
import { singlePem } from './pki/pem.js';
import { silentLog, type SecurityLog } from './log.js';

export interface PkiPaths {
  ca: string;
  cert: string;
  key: string;
  crl: string;
}

/** Certificate paths: explicit settings win, else Puppet's ssldir layout for `certname`. */
export function pkiPaths(config: Config, certname = config.get('plugin.security.certname')): PkiPaths {
  const ssldir = config.get('plugin.security.ssldir');
  const pick = (explicit: string, inSsldir: string) => explicit || (ssldir ? join(ssldir, inSsldir) : '');
  return {
    ca: pick(config.get('plugin.security.ca'), 'certs/ca.pem'),
    cert: pick(config.get('plugin.security.cert'), `certs/${certname}.pem`),
    key: pick(config.get('plugin.security.key'), `private_keys/${certname}.pem`),
    crl: pick(config.get('plugin.security.crl'), 'crl.pem'),
  };
}

function readRequired(path: string, what: string, hint: string): string {
  if (!path) throw new SecurityError('not_configured', `no ${what} configured (${hint})`);
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new SecurityError('not_configured', `${what} ${path} cannot be read (${hint})`);
  }
}

function loadIdentity(paths: PkiPaths): PkiIdentity | undefined {
  if (!paths.cert || !paths.key || !existsSync(paths.cert) || !existsSync(paths.key)) return undefined;
  const certificatePem = readFileSync(paths.cert, 'utf8');
  let publicKey: KeyObject | undefined;
  try {
    publicKey = publicKeyOf(parseCertificate(singlePem(certificatePem, 'CERTIFICATE', paths.cert)));
  } catch {
    // The provider reports a broken certificate properly; the key is then read the slow way.
  }
  return { certificatePem, privateKey: privateKeyFromPem(readFileSync(paths.key, 'utf8'), publicKey) };
}

/** What every provider of one process shares: the CA, its CRL, and the signatures already verified. */
interface SharedTrust {
  trust: TrustStore;
  signatures: VerifiedSignatures;
  refresher: CrlRefresher;
}

function sharedTrust(config: Config, role: 'client' | 'server', log: SecurityLog): SharedTrust {
  const paths = pkiPaths(config);
  const caPem = readRequired(paths.ca, 'CA certificate', 'set plugin.security.ssldir or plugin.security.ca, or run `mco enroll`');
  const trust = new TrustStore({ caPem, maxCertificateSize: config.get('plugin.security.max_certificate_size') });
  const follows = config.get('plugin.security.ca_url') !== '' || config.get('use_srv');
  const refresher = new CrlRefresher(trust, {
    file: paths.crl || undefined,
    // Nodes follow the CA service (ca_url, or the one DNS SRV names at each refresh); a one-shot `mco` command
    // reads the CRL file it has.
    download:
      role === 'server' && follows
        ? async () => {
            const url = await caServiceUrl(config);
            return new (await import('./service/client.js')).CaClient(url!, caPem).crl();
          }
        : undefined,
    intervalMs: config.get('plugin.security.crl_refresh_interval') * 1000,
    log,
  });
  refresher.loadFile();
  if (role === 'server') refresher.start();
  return { trust, signatures: new VerifiedSignatures(), refresher };
}

/** `plugin.security.client_pattern` as a RegExp; undefined when empty (any name may send requests). */
export function clientPattern(config: Config): RegExp | undefined {
  const text = config.get('plugin.security.client_pattern');
  if (!text) return undefined;
  try {
    return new RegExp(text);
  } catch (err) {
    throw new SecurityError('not_configured', `plugin.security.client_pattern is not a regular expression: ${(err as Error).message}`);
  }
}

/** A node's TTL cap and clock skew, the same for every security provider. */
export function ageRuleFromConfig(config: Config): AgeRule {
  return { maxTtlMs: config.get('plugin.security.max_ttl') * 1000, clockSkewMs: config.get('plugin.security.clock_skew') * 1000 };
}

function replayLimits(config: Config) {
  const maxEntries = config.get('plugin.security.replay_cache_size');
  const quota = config.get('plugin.security.replay_quota');
  return { maxEntries, maxPerCaller: quota > 0 ? quota : undefined, maxTtlMs: ageRuleFromConfig(config).maxTtlMs };
}

/**
 * A node's replay record, with its journal when `plugin.security.replay_file` is set. A daemon makes it once and
 * hands the same one to every provider it builds on SIGHUP, so a reload never forgets what ran.
 */
export function replayCacheFromConfig(config: Config): ReplayCache {
  const file = config.get('plugin.security.replay_file');
  return new ReplayCache({ ...replayLimits(config), journal: file ? ReplayJournal.open(file) : undefined });
}

/** Applies reloaded limits to a running replay record (its file can only change with a restart). */
export function reconfigureReplayCache(cache: ReplayCache, config: Config): void {
  cache.configure(replayLimits(config));
}

function pkiProvider(
  config: Config,
  role: 'client' | 'server',
  shared: SharedTrust,
  identity: PkiIdentity | undefined,
  onClose?: () => void,
  replay?: ReplayCache,
): PkiProvider {
  return new PkiProvider({
    trust: shared.trust,
    signatures: shared.signatures,
    identity,
    replay: role === 'server' ? (replay ?? new ReplayCache(replayLimits(config))) : undefined,
    clientPattern: clientPattern(config),
    requireClientKeyUsage: config.get('plugin.security.client_key_usage'),
    requireOperatorRole: config.get('plugin.security.require_operator_role'),
    signReplies: config.get('plugin.security.sign_replies'),
    age: ageRuleFromConfig(config),
    onClose,
  });
}

/** A node's certificate must carry its identity: clients check every reply's sender against it. */
function checkNodeIdentity(provider: PkiProvider, identity: string, certPath: string): void {
  if (provider.certname === undefined) {
    throw new SecurityError(
      'not_configured',
      `node certificate ${certPath || '(not configured)'} not found (run \`mco enroll\`, or set plugin.security.ssldir)`,
    );
  }
  if (provider.certname !== identity) {
    throw new SecurityError(
      'identity_mismatch',
      `identity '${identity}' differs from the name in ${certPath} ('${provider.certname}'); replies would be refused`,
    );
  }
}

/** A security provider found by name (`securityprovider`): one for a process, and one per simulated node. */
export interface SecurityProviderPlugin {
  readonly name: string;
  forProcess(config: Config, role: 'client' | 'server', log: SecurityLog, replay?: ReplayCache): SecurityProvider;
  forFleet(config: Config, log: SecurityLog): FleetSecurity;
}

// Properties, not methods: the simulator hands securityFor on by itself.
export interface FleetSecurity {
  securityFor: (identity: string) => SecurityProvider;
  close: () => void;
}

const insecurePlugin: SecurityProviderPlugin = {
  name: 'insecure',
  forProcess: (config) => new InsecureProvider(undefined, ageRuleFromConfig(config)),
  forFleet(config) {
    const shared = new InsecureProvider(undefined, ageRuleFromConfig(config));
    return { securityFor: () => shared, close() {} };
  },
};

const pkiPlugin: SecurityProviderPlugin = {
  name: 'pki',
  forProcess(config, role, log, replay) {
    const shared = sharedTrust(config, role, log);
    const paths = pkiPaths(config);
    const provider = pkiProvider(config, role, shared, loadIdentity(paths), () => shared.refresher.stop(), replay);
    if (role === 'server') checkNodeIdentity(provider, config.get('identity'), paths.cert);
    return provider;
  },
  // One CA, CRL and verification cache for the process; per node its own certificate and replay cache.
  forFleet(config, log) {
    if (!config.get('plugin.security.ssldir')) {
      throw new SecurityError(
        'not_configured',
        'a simulated fleet with securityprovider = pki needs plugin.security.ssldir holding certs/<identity>.pem and private_keys/<identity>.pem',
      );
    }
    const shared = sharedTrust(config, 'server', log);
    return {
      securityFor(identity) {
        const paths = pkiPaths(config, identity);
        const provider = pkiProvider(config, 'server', shared, loadIdentity(paths));
        checkNodeIdentity(provider, identity, paths.cert);
        return provider;
      },
      close: () => shared.refresher.stop(),
    };
  },
};

/** Every security provider of this build, by name; `securityprovider` accepts exactly these. */
export const SECURITY_PROVIDERS: ReadonlyMap<string, SecurityProviderPlugin> = new Map([insecurePlugin, pkiPlugin].map((p) => [p.name, p]));

function providerPlugin(config: Config): SecurityProviderPlugin {
  const name: string = config.get('securityprovider');
  const plugin = SECURITY_PROVIDERS.get(name);
  if (!plugin) throw new SecurityError('not_configured', `securityprovider '${name}' is not available in this build`);
  return plugin;
}

/** `replay`: a node's replay record kept across reloads (see replayCacheFromConfig); a fresh one when omitted. */
export function securityFromConfig(
  config: Config,
  role: 'client' | 'server',
  log: SecurityLog = silentLog,
  replay?: ReplayCache,
): SecurityProvider {
  return providerPlugin(config).forProcess(config, role, log, replay);
}

/** Providers for the simulator's virtual nodes. */
export function fleetSecurityFromConfig(config: Config, log: SecurityLog = silentLog): FleetSecurity {
  return providerPlugin(config).forFleet(config, log);
}
