// Picks the concrete transport named by `connector`. Only composition roots (the CLI) import this.
import type { Config } from '../config/index.js';
import { TransportError, type Connector } from './connector.js';
import { NatsConnector } from './nats.js';

export function connectorFromConfig(config: Config, role: { name: string; waitForBroker: boolean }): Connector {
  const kind = config.get('connector');
  const servers = config.get('middleware_hosts');
  if (kind === 'nats') {
    return new NatsConnector({
      servers,
      name: role.name,
      waitForBroker: role.waitForBroker,
      connectTimeoutMs: config.get('plugin.nats.connect_timeout') * 1000,
      maxReconnectWaitMs: config.get('plugin.nats.max_reconnect_wait') * 1000,
    });
  }
  throw new TransportError('bad_address', `connector '${kind}' is not available in this build`);
}
