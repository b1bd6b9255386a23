// The job history bucket against a real JetStream: many replies written at once, each acknowledged by the stream,
// and a write the stream refuses reported by its key, never silently dropped.
import { connect as natsConnect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer, type LocalNatsServer } from '../../helpers/broker.js';
import { JobStore } from '../../../src/web/job-store.js';
import { WebError } from '../../../src/web/errors.js';

let broker: LocalNatsServer;
let nc: NatsConnection;

beforeAll(async () => {
  broker = await startNatsServer({ jetstream: true });
  nc = await natsConnect({ servers: broker.url.replace(/^nats:\/\//, '') });
});

afterAll(async () => {
  await nc?.close();
  await broker?.stop();
});

const reply = (i: number) => ({ identity: `node-${i}.example.net`, statuscode: 0, statusmsg: 'OK', ms: i, data: { pong: i } });

describe('job store', () => {
  it('writes thousands of replies in one call, every one stored and read back whole', async () => {
    const store = new JobStore(nc, { bucket: 'jobs_many', maxAgeMs: 60_000 });
    const entries = Array.from({ length: 3000 }, (_, i) => [JobStore.replyKey('j1', `node-${i}.example.net`), reply(i)] as const);
    await store.putMany(entries);
    const back = await store.values<ReturnType<typeof reply>>(JobStore.repliesOf('j1'));
    expect(back.length).toBe(3000);
    expect(back.find((r) => r.identity === 'node-2999.example.net')).toEqual(reply(2999));
  });

  it('names a write the stream refuses, and keeps the others', async () => {
    // A bucket made beforehand with a small value limit: the stream refuses the one big value.
    await (await nc.jetstream().views.kv('jobs_small', { history: 1, maxValueSize: 512 })).status();
    const store = new JobStore(nc, { bucket: 'jobs_small', maxAgeMs: 60_000 });
    const big = { ...reply(1), data: { text: 'x'.repeat(2000) } };
    const entries = [
      [JobStore.replyKey('j2', 'node-0.example.net'), reply(0)],
      [JobStore.replyKey('j2', 'node-1.example.net'), big],
      [JobStore.replyKey('j2', 'node-2.example.net'), reply(2)],
    ] as const;
    const err = await store.putMany(entries).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WebError);
    expect((err as WebError).message).toMatch(/1 of 3 writes failed \(reply\.j2\.node-1_2eexample_2enet: .+\)/);
    const back = await store.values<{ identity: string }>(JobStore.repliesOf('j2'));
    expect(back.map((r) => r.identity).sort()).toEqual(['node-0.example.net', 'node-2.example.net']);
  });
});
