// The Connector contract over NATS, on a private nats-server.
import { afterAll, beforeAll } from 'vitest';
import { NatsConnector } from '../../../src/transport/nats.js';
import { startNatsServer, type LocalNatsServer } from '../../helpers/broker.js';
import { connectorContract } from '../../helpers/connector-contract.js';

let server: LocalNatsServer;

beforeAll(async () => {
  server = await startNatsServer();
});

afterAll(async () => {
  await server?.stop();
});

connectorContract('NATS', () => ({
  connector: (opts = {}) =>
    new NatsConnector({ servers: [server.url], name: opts.name, waitForBroker: opts.waitForBroker, maxReconnectWaitMs: 500 }),
  dropConnections: () => server.restart(),
}));
