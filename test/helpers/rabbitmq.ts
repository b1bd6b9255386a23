// RabbitMQ for the tests: a vhost of its own per test file on the machine's broker (127.0.0.1:5672, guest/guest),
// or a private node on its own ports for tests that stop and start the broker.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configText } from '../../src/devkit/pki.js';
import { createVhost, ensureSystemRabbitMQ, type Vhost } from '../../src/devkit/rabbitmq.js';
import { startSim, type RunningSim } from './mco.js';
import type { Scratch } from './scratch.js';

export {
  LocalRabbitMQ,
  startRabbitMQ,
  createVhost,
  ensureSystemRabbitMQ,
  rabbitmqctl,
  socketLimit,
  type Vhost,
} from '../../src/devkit/rabbitmq.js';

/** A throwaway vhost on the machine's RabbitMQ, which is started first when installed but not running. */
export async function testVhost(prefix = 'troupe-test'): Promise<Vhost> {
  await ensureSystemRabbitMQ();
  return createVhost({ prefix });
}

/** Writes `<dir>/<name>` selecting the AMQP connector on `url`, plus any extra keys. */
export function writeAmqpConfig(dir: string, name: string, url: string, extra: Record<string, string | number> = {}): string {
  const lines = {
    connector: 'amqp',
    middleware_hosts: url,
    discovery_timeout: 2,
    securityprovider: 'insecure',
    'plugin.actionpolicy.allow_unconfigured': 1,
    ...extra,
  };
  const path = join(dir, name);
  writeFileSync(path, configText(lines));
  return path;
}

/** `mco sim` on the AMQP connector at `url` (`simArgs` say which nodes), its config `server.cfg` written in `scratch`. */
export function startAmqpSim(
  scratch: Scratch,
  url: string,
  simArgs: string[],
  serverKeys: Record<string, string | number> = {},
): Promise<RunningSim> {
  return startSim([...simArgs, '--config', writeAmqpConfig(scratch.dir, 'server.cfg', url, serverKeys)]);
}
