// `mco ca …` (on the CA host) and `mco enroll` (on nodes and workstations).
// The CA modules load node-forge and fastify, so they are imported when a command runs, not at start-up.
import { hostname } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { caServiceUrl, defaultConfigPath, loadConfig, type Config } from '../config/index.js';
import { UsageError } from '../client/errors.js';
import { createLogger } from '../server/logging.js';
import { KEY_TYPES, type KeyType } from '../security/pki/keys.js';
import { clientPattern, pkiPaths } from './security.js';
import { followCaChange } from './broker.js';

import type { ConfigFlags, Run } from './run.js';

/** Every `mco ca` subcommand's options; each declares the ones it uses. */
interface CaFlags extends ConfigFlags {
  dir?: string;
  name?: string;
  keyType?: KeyType;
  out?: string;
  operator?: boolean;
  client?: boolean;
  broker?: boolean;
  altNames?: string;
  all?: boolean;
  json?: boolean;
  listen?: string;
  hostnames?: string;
}

interface EnrollFlags extends ConfigFlags {
  certname?: string;
  caUrl?: string;
  caFingerprint?: string;
  trustCa?: boolean;
  wait?: number;
  poll?: number;
  keyType?: KeyType;
}

/** Exit status of `mco enroll` when the request still waits for the operator. */
export const ENROLL_PENDING = 2;

function keyType(value: string): KeyType {
  if (!KEY_TYPES.includes(value as KeyType)) throw new InvalidArgumentError(`expected one of ${KEY_TYPES.join(', ')}`);
  return value as KeyType;
}

function seconds(value: string): number {
  if (!/^\d+(\.\d+)?$/.test(value.trim())) throw new InvalidArgumentError('expected a number of seconds');
  return Number(value);
}

function configOf(flags: ConfigFlags): Config {
  return loadConfig(flags.config ?? defaultConfigPath('client'));
}

function caDir(flags: CaFlags, config: Config): string {
  return flags.dir ?? config.get('plugin.ca.dir');
}

async function openCa(flags: CaFlags) {
  const config = configOf(flags);
  const { CertificateAuthority } = await import('../security/ca/authority.js');
  const log = createLogger({ level: config.get('loglevel'), file: config.get('logfile') || undefined, name: 'troupe-ca' });
  const ca = CertificateAuthority.open(caDir(flags, config), {
    validityDays: config.get('plugin.ca.validity_days'),
    operatorPattern: clientPattern(config) ?? null,
    maxPending: config.get('plugin.ca.max_pending'),
    log,
  });
  return { config, log, ca };
}

const out = (line: string) => process.stdout.write(line + '\n');

async function caInit(flags: CaFlags): Promise<number> {
  const config = configOf(flags);
  const { CertificateAuthority } = await import('../security/ca/authority.js');
  const dir = caDir(flags, config);
  const ca = CertificateAuthority.init(dir, { commonName: flags.name, keyType: flags.keyType ?? 'rsa' });
  out(`Created a CA in ${dir}`);
  out(`CA fingerprint (SHA256): ${ca.caFingerprint}`);
  return 0;
}

async function caGenerate(name: string, flags: CaFlags): Promise<number> {
  if (flags.broker && (flags.operator || flags.client))
    throw new UsageError("a certificate is either a broker's or an operator's", 'mco ca generate NAME --broker --alt-names HOST,IP');
  const { config, ca } = await openCa(flags);
  const { writeSsldir } = await import('../security/ca/export.js');
  const issued = ca.generate(name, {
    keyType: flags.keyType ?? config.get('plugin.security.key_type'),
    profile: flags.broker ? 'broker' : flags.operator || flags.client ? 'client' : undefined,
    altNames: flags.altNames
      ? flags.altNames
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : undefined,
  });
  const dest = flags.out ?? join(ca.dir, 'generated', name);
  writeSsldir(dest, name, issued, ca.certificatePem, ca.crlPem());
  if (flags.broker)
    out(`${name} is a broker certificate: it may join the other brokers (routes, gateways, leafnodes), never log in as a node or operator`);
  else if (flags.operator || flags.client || ca.isOperatorName(name))
    out(`${name} is an operator certificate: it may send requests to nodes`);
  out(`Issued ${name}; copy ${dest} to the host as its ssldir (plugin.security.ssldir = <that directory>):`);
  for (const f of [`certs/${name}.pem`, `private_keys/${name}.pem`, 'certs/ca.pem', 'crl.pem']) out(`  ${join(dest, f)}`);
  return followCaChange(config);
}

async function caList(flags: CaFlags): Promise<number> {
  const { ca } = await openCa(flags);
  const entries = flags.all ? ca.all() : ca.pending();
  if (flags.json) {
    out(JSON.stringify(entries, null, 2));
    return 0;
  }
  const sections: Array<[string, string]> = [
    ['requested', 'Requested certificates:'],
    ['signed', 'Signed certificates:'],
    ['revoked', 'Revoked certificates:'],
  ];
  let printed = false;
  for (const [state, title] of sections) {
    const group = entries.filter((e) => e.state === state);
    if (group.length === 0) continue;
    out(title);
    for (const e of group)
      out(
        `    ${e.name.padEnd(30)} (SHA256) ${e.fingerprint}${e.notAfter ? `  expires ${e.notAfter.slice(0, 10)}` : ''}${e.operator ? '  operator' : ''}`,
      );
    printed = true;
  }
  if (!printed) out(flags.all ? 'No certificates or requests.' : 'No pending certificate requests.');
  return 0;
}

async function caSign(name: string | undefined, flags: CaFlags): Promise<number> {
  if (!name === !flags.all) throw new UsageError('give a certificate name or --all', 'mco ca sign web1.example.net');
  const { config, ca } = await openCa(flags);
  if (!flags.all) {
    ca.sign(name!);
    out(ca.isOperatorName(name!) ? `Signed ${name} as an operator (it may send requests to nodes)` : `Signed ${name}`);
    return followCaChange(config);
  }
  const { signed, skipped } = ca.signAll();
  if (signed.length === 0 && skipped.length === 0) out('No pending certificate requests.');
  for (const n of signed) out(`Signed ${n}`);
  for (const s of skipped) out(`Not signed ${s.name}: ${s.reason}`);
  return signed.length > 0 ? followCaChange(config) : 0;
}

async function caClean(name: string, flags: CaFlags): Promise<number> {
  const { config, ca } = await openCa(flags);
  const { revokedSerial, removed } = ca.clean(name);
  if (revokedSerial) out(`Revoked ${name} (serial ${revokedSerial})`);
  out(`Removed the ${removed.join(' and ')} of ${name}; it may enrol again`);
  return revokedSerial ? followCaChange(config) : 0;
}

async function caRevoke(name: string, flags: CaFlags): Promise<number> {
  const { config, ca } = await openCa(flags);
  const serial = ca.revoke(name);
  out(`Revoked ${name} (serial ${serial}); the CRL in ${join(ca.dir, 'ca_crl.pem')} lists it and the CA service serves it`);
  return followCaChange(config);
}

async function caServe(flags: CaFlags): Promise<number> {
  const { config, ca, log } = await openCa(flags);
  const { startCaService } = await import('../security/service/server.js');
  const listen = flags.listen ?? config.get('plugin.ca.listen');
  const m = /^(.*):(\d+)$/.exec(listen);
  if (!m) throw new UsageError(`listen address '${listen}' is not HOST:PORT`, 'mco ca serve --listen 0.0.0.0:8140');
  const configured = flags.hostnames
    ? flags.hostnames
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : config.get('plugin.ca.hostnames');
  const hostnames = configured.length > 0 ? configured : [hostname(), 'localhost', '127.0.0.1'];
  const limits = { requestsPerMinute: config.get('plugin.ca.rate_limit'), submissionsPerMinute: config.get('plugin.ca.submit_rate_limit') };
  const service = await startCaService({ ca, host: m[1] || '0.0.0.0', port: Number(m[2]), hostnames, log, limits });
  out(`CA service listening on ${m[1] || '0.0.0.0'}:${service.port} as ${hostnames.join(', ')}`);
  out(`CA fingerprint (SHA256): ${ca.caFingerprint}`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  await service.close();
  return 0;
}

async function runEnroll(flags: EnrollFlags): Promise<number> {
  const config = configOf(flags);
  const certname = flags.certname ?? config.get('plugin.security.certname');
  const url = flags.caUrl ?? (await caServiceUrl(config));
  if (!url)
    throw new UsageError(
      'no CA service to enroll with',
      'pass --ca-url https://ca.example.net:8140, set plugin.security.ca_url, or set use_srv to find it by DNS (_x-puppet-ca._tcp)',
    );
  if (!flags.caUrl && !config.get('plugin.security.ca_url')) out(`CA service found by DNS SRV: ${url}`);
  const paths = pkiPaths(config, certname);
  if (!paths.ca || !paths.cert || !paths.key || !paths.crl) {
    throw new UsageError(
      'no place to keep the key and certificate',
      'set plugin.security.ssldir (or plugin.security.ca, cert, key and crl) in the config',
    );
  }
  const { checkCertname } = await import('../security/ca/errors.js');
  checkCertname(certname);
  const { enroll } = await import('../security/service/enroll.js');
  const result = await enroll({
    url,
    certname,
    paths,
    keyType: flags.keyType ?? config.get('plugin.security.key_type'),
    waitMs: (flags.wait ?? 120) * 1000,
    pollMs: (flags.poll ?? 2) * 1000,
    caFingerprint: flags.caFingerprint,
    trustCa: flags.trustCa === true,
    out,
  });
  return result === 'signed' ? 0 : ENROLL_PENDING;
}

export function registerSecurityCommands(program: Command, run: Run): void {
  const common = (cmd: Command) =>
    cmd
      .option('--dir <dir>', 'CA directory (default: plugin.ca.dir)')
      .option('-c, --config <file>', 'config file')
      .option('--debug', 'print stack traces on errors');

  const ca = program.command('ca').description('the certificate authority: create it, sign, revoke, serve');
  common(ca.command('init').description('create a CA: key, self-signed certificate, empty CRL'))
    .option('--name <cn>', 'common name of the CA certificate', 'Troupe CA')
    .option('--key-type <type>', 'rsa (Puppet compatible) or ed25519', keyType)
    .action(run((flags: CaFlags) => caInit(flags)));
  common(ca.command('generate').description('issue a key and certificate directly, laid out as an ssldir to copy to a host'))
    .argument('<name>', 'certificate name (node identity, or USER.troupe for a client)')
    .option('--out <dir>', 'where to write the ssldir (default: <ca dir>/generated/<name>)')
    .option('--key-type <type>', 'rsa or ed25519 (default: plugin.security.key_type)', keyType)
    .option(
      '--operator',
      'an operator certificate (client use only, may send requests); the default for names matching plugin.security.client_pattern',
    )
    .option('--client', 'same as --operator')
    .option('--broker', "a broker's certificate (server and client TLS, the broker role): for `mco broker config` of a site")
    .option('--alt-names <names>', 'extra DNS names or IPs, comma-separated (for broker TLS)')
    .action(run((name: string, flags: CaFlags) => caGenerate(name, flags)));
  common(ca.command('list').description('pending requests with their fingerprints (--all: signed and revoked too)'))
    .option('--all', 'also signed and revoked certificates')
    .option('--json', 'JSON output')
    .action(run((flags: CaFlags) => caList(flags)));
  common(ca.command('sign').description('sign a pending request (operator names get the operator profile)'))
    .argument('[name]', 'certificate name')
    .option('--all', 'sign every pending request except operator names, which need an explicit sign')
    .action(run((name: string | undefined, flags: CaFlags) => caSign(name, flags)));
  common(ca.command('revoke').description('revoke a certificate and publish a new CRL'))
    .argument('<name>', 'certificate name')
    .action(run((name: string, flags: CaFlags) => caRevoke(name, flags)));
  common(
    ca
      .command('clean')
      .description('forget a name: revoke its certificate if still valid, delete it and any request, so it may enrol again'),
  )
    .argument('<name>', 'certificate name')
    .action(run((name: string, flags: CaFlags) => caClean(name, flags)));
  common(ca.command('serve').description('run the CA as an HTTPS service: requests in, certificates and CRL out'))
    .option('--listen <host:port>', 'address to listen on (default: plugin.ca.listen)')
    .option('--hostnames <names>', 'names in the service certificate, comma-separated (default: plugin.ca.hostnames)')
    .action(run((flags: CaFlags) => caServe(flags)));

  program
    .command('enroll')
    .description('get a certificate from the CA service: make a key, send a request, wait for the signature')
    .option('--certname <name>', 'certificate name (default: plugin.security.certname)')
    .option('--ca-url <url>', 'CA service (default: plugin.security.ca_url)')
    .option('--ca-fingerprint <sha256>', 'first contact: trust only the CA with this fingerprint (as printed by mco ca init / serve)')
    .option('--trust-ca', 'first contact without --ca-fingerprint: trust the CA the service presents, as printed')
    .option('--wait <seconds>', 'how long to wait for the signature (0: submit and return)', seconds)
    .option('--poll <seconds>', 'seconds between checks while waiting', seconds)
    .option('--key-type <type>', 'rsa or ed25519 for a new key (default: plugin.security.key_type)', keyType)
    .option('-c, --config <file>', 'config file (a node enrolls with its server config)')
    .option('--debug', 'print stack traces on errors')
    .action(run((flags: EnrollFlags) => runEnroll(flags)));
}
