export { LocalNatsServer, startNatsServer, freePort } from '../../src/devkit/nats-server.js';
