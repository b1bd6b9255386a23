// The Connector contract over the in-memory connector the unit tests use, so what they prove holds on a real broker.
import { MemoryBroker } from '../../helpers/memory-connector.js';
import { connectorContract } from '../../helpers/connector-contract.js';

const broker = new MemoryBroker();

connectorContract('in-memory', () => ({
  connector: () => broker.connector(),
  dropConnections: () => broker.dropConnections(),
}));
