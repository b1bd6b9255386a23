// The connectors by name: `connector` in the configuration picks one. Only composition roots (the CLI) import this.
import type { Config } from '../config/index.js';
import { TransportError, type Connector } from './connector.js';
import type { ConnectorPlugin, ConnectorRole } from './from-config.js';
import { natsConnector } from './nats.js';
import { amqpConnector } from './amqp.js';

export { brokerCertname, certnameOf, type ConnectorPlugin, type ConnectorRole } from './from-config.js';

/** Every connector of this build, by name; a new one is a module beside these and one entry here. */
export const CONNECTORS: ReadonlyMap<string, ConnectorPlugin> = new Map([natsConnector, amqpConnector].map((c) => [c.name, c]));

export function connectorFromConfig(config: Config, role: ConnectorRole): Connector {
  const kind: string = config.get('connector');
  const plugin = CONNECTORS.get(kind);
  if (!plugin) throw new TransportError('bad_address', `connector '${kind}' is not available in this build`);
  return plugin.create(config, role);
}
