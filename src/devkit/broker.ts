// A private nats-server run from the configuration `mco broker config` writes: TLS from a DevPki's CA, one user
// per certificate it issued, per-identity permissions. For the demo and the security tests.
import { join } from 'node:path';
import { writeBrokerConfig, type BrokerSettings, type WrittenBrokerConfig } from '../broker/index.js';
import { ensureDir, PRIVATE_DIR } from '../security/ca/files.js';
import { freePort, LocalNatsServer } from './nats-server.js';
import type { DevPki } from './pki.js';

export interface TroupeBrokerOptions {
  collectives?: string[];
  /** JetStream on (the registry needs it); on by default. */
  jetstream?: boolean;
  registryBucket?: string;
  operatorPattern?: string;
  planBucket?: string;
  /** Governors operators may manage; none by default. */
  governors?: string[];
  /** Governors nodes may take slots of; none by default. */
  nodeGovernors?: string[];
  /** LocalNatsServer's `detachedLogFile`: the server may outlive this process (the demo's --keep). */
  detachedLogFile?: string;
}

export interface TroupeBroker {
  server: LocalNatsServer;
  /** The generated configuration: `plugin.broker.config_file` for `mco ca revoke` and `mco broker reload`. */
  configFile: string;
  settings: BrokerSettings;
  written: WrittenBrokerConfig;
}

/** Writes the broker configuration for `pki` (which needs its `broker` certificate) and starts nats-server on it. */
export async function startTroupeBroker(pki: DevPki, opts: TroupeBrokerOptions = {}): Promise<TroupeBroker> {
  const dir = join(pki.dir, 'broker');
  ensureDir(dir, PRIVATE_DIR);
  const port = await freePort();
  const settings: BrokerSettings = {
    caDir: pki.caDir,
    listen: `127.0.0.1:${port}`,
    certFile: pki.certPath('broker'),
    keyFile: pki.keyPath('broker'),
    collectives: opts.collectives ?? ['mcollective'],
    registryBucket: opts.registryBucket ?? 'troupe_registry',
    operatorPattern: opts.operatorPattern ?? '\\.(mcollective|troupe)$',
    pidFile: join(dir, 'nats-server.pid'),
    jetstreamDir: opts.jetstream === false ? '' : join(dir, 'jetstream'),
    maxPayload: 8 * 1024 * 1024,
    planBucket: opts.planBucket ?? 'troupe_plans',
    governors: opts.governors ?? [],
    nodeGovernors: opts.nodeGovernors ?? [],
  };
  const configFile = join(dir, 'nats-server.conf');
  const written = writeBrokerConfig(configFile, settings);
  const server = await new LocalNatsServer({ port, configFile, detachedLogFile: opts.detachedLogFile }).start();
  return { server, configFile, settings, written };
}
