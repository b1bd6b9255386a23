// A broker connection for the commands that work on JetStream state rather than send requests (`mco plan`,
// `mco governor`): the client config's connector, connected once, closed when the command ends.
import type { Config } from '../config/index.js';
import { brokerCertname, connectorFromConfig } from '../transport/factory.js';
import { TransportError, type Connector } from '../transport/index.js';
import { clientConfig } from './session.js';
import { securityFromConfig } from './security.js';

export interface BrokerUse {
  config: Config;
  connector: Connector;
  /** Who this is, as plans and governors record it: the signing identity (`cert=ops.troupe`). */
  who: () => string;
}

/** Connects with the client config named by `--config`, runs `fn`, and always closes the connection. */
export async function withBroker<T>(raw: Record<string, unknown>, fn: (use: BrokerUse) => Promise<T>): Promise<T> {
  const config = clientConfig(raw.config as string | undefined);
  const connector = connectorFromConfig(config, { name: 'mco', waitForBroker: false });
  const said = new Set<string>();
  connector.onEvent((e) => {
    // What the broker refuses would otherwise look like a timeout.
    if (e.type !== 'error' || !(e.error instanceof TransportError && e.error.code === 'not_permitted') || said.has(e.error.message)) return;
    said.add(e.error.message);
    process.stderr.write(`mco: ${e.error.message}\n`);
  });
  await connector.connect();
  let who: string | undefined;
  try {
    return await fn({
      config,
      connector,
      who: () => (who ??= callerOf(config)),
    });
  } finally {
    await connector.close().catch(() => undefined);
  }
}

function callerOf(config: Config): string {
  try {
    const security = securityFromConfig(config, 'client');
    try {
      return security.callerId();
    } finally {
      security.close?.();
    }
  } catch {
    // No signing identity configured: name the certificate the broker knows, or the configured identity.
    return brokerCertname(config) ?? config.get('identity');
  }
}
