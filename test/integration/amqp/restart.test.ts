// A RabbitMQ node this test starts on its own ports goes down and comes back while simulated daemons are connected:
// the daemons reconnect by themselves, re-declare their queues and answer again; a request in flight when the broker
// went away fails with a clear error instead of waiting for replies that can no longer arrive.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runMco, scratchDir, type RunningSim } from '../../helpers/mco.js';
import { startAmqpSim, startRabbitMQ, writeAmqpConfig, type LocalRabbitMQ } from '../../helpers/rabbitmq.js';
import { waitFor } from '../../helpers/wait.js';

const NODES = 6;

let rabbit: LocalRabbitMQ | undefined;
let sim: RunningSim | undefined;
let scratch: ReturnType<typeof scratchDir>;
let client: string;

const mco = (args: string[], timeoutMs = 30_000) => runMco([...args, '--config', client], { timeoutMs });
const pingCount = async (): Promise<number> => {
  const r = await mco(['ping', '--expect', String(NODES), '--timeout', '3', '--json']);
  return r.code === 0 ? (JSON.parse(r.stdout) as { stats: { count: number } }).stats.count : 0;
};

const connections = async () => {
  const names = await rabbit!.ctl(['list_connections', 'name', '--no-table-headers', '--silent']);
  return names.split('\n').filter(Boolean).length;
};
const queues = async () => (await rabbit!.ctl(['list_queues', 'name', '--no-table-headers', '--silent'])).split('\n').filter(Boolean);

beforeAll(async () => {
  rabbit = await startRabbitMQ();
  scratch = scratchDir('troupe-amqp-restart-');
  // --expect ends each ping; a long quiet window keeps a stall on a busy machine from cutting one short.
  client = writeAmqpConfig(scratch.dir, 'client.cfg', rabbit.url, {
    'plugin.amqp.max_reconnect_wait': 1,
    'plugin.amqp.connect_timeout': 2,
    discovery_quiet_window: 3,
  });
  sim = await startAmqpSim(scratch, rabbit.url, ['--nodes', String(NODES)], { 'plugin.amqp.max_reconnect_wait': 1 });
}, 120_000);

afterAll(async () => {
  await sim?.stop();
  await rabbit?.destroy();
  scratch?.cleanup();
}, 120_000);

it('daemons come back and answer after their RabbitMQ node restarts; a request in flight fails clearly', async () => {
  expect(await pingCount()).toBe(NODES);

  // Nothing matches this filter, so the request is still waiting for replies when the broker goes down (a
  // graceful stop can take seconds on a busy machine: the timeout leaves room for it).
  const daemonsOnly = await connections();
  const inFlight = mco(['ping', '-F', 'role=nothing', '--timeout', '15'], 90_000);
  await waitFor('the client to connect', async () => (await connections()) > daemonsOnly, 20_000, 100);
  await rabbit!.stop();
  const restarted = rabbit!.start();
  const failed = await inFlight;
  expect(failed.code).not.toBe(0);
  expect(failed.stderr).toMatch(/connection to RabbitMQ dropped while request [0-9a-f]{32} was waiting for replies/);

  await restarted;
  let answered = 0;
  const deadline = Date.now() + 60_000;
  while (answered < NODES && Date.now() < deadline) answered = await pingCount();
  expect(answered).toBe(NODES);

  // Each daemon re-declared exactly one queue on the new broker: recovery does not leak or duplicate.
  expect(await queues()).toHaveLength(NODES);
}, 120_000);
