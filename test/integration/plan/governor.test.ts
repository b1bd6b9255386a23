// Governors on a real nats-server with JetStream: capacity enforced by the broker, slots kept alive by their
// holders past the expiry, given back, evicted, and the admin view of them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Governor, GovernorAdmin, GovernorError, parseDuration } from '../../../src/plan/governor.js';
import { NatsConnector } from '../../../src/transport/nats.js';
import type { Connector } from '../../../src/transport/connector.js';
import { startNatsServer, type LocalNatsServer } from '../../helpers/broker.js';

let server: LocalNatsServer;
let bare: LocalNatsServer;
const connectors: Connector[] = [];
let admin: GovernorAdmin;

async function connector(url = server.url): Promise<NatsConnector> {
  const c = new NatsConnector({ servers: [url], name: 'governor-test' });
  await c.connect();
  connectors.push(c);
  return c;
}

beforeAll(async () => {
  [server, bare] = await Promise.all([startNatsServer({ jetstream: true }), startNatsServer()]);
  admin = GovernorAdmin.for(await connector());
});

afterAll(async () => {
  await Promise.all(connectors.map((c) => c.close().catch(() => undefined)));
  await Promise.all([server?.stop(), bare?.stop()]);
});

describe('Governor', () => {
  it('admits at most CAPACITY holders, and the next one once a slot is given back', async () => {
    await admin.add('cap2', 2, 60_000);
    const gov = Governor.for(await connector(), 'cap2');
    const a = await gov.acquire({ holder: 'a', maxWaitMs: 0 });
    const b = await gov.acquire({ holder: 'b', maxWaitMs: 0 });
    await expect(gov.acquire({ holder: 'c', maxWaitMs: 300 })).rejects.toMatchObject({
      code: 'timeout',
      message: expect.stringContaining("no slot came free on governor 'cap2' within 300ms") as string,
    });
    const waiting = gov.acquire({ holder: 'c', maxWaitMs: 10_000 });
    await a.release();
    const c = await waiting;
    expect((await admin.view('cap2')).slots.map((s) => s.holder).sort()).toEqual(['b', 'c']);
    await Promise.all([b.release(), c.release(), c.release()]);
    expect((await admin.info('cap2')).active).toBe(0);
  });

  it('keeps a held slot past the expiry by refreshing it, without taking a second slot', async () => {
    await admin.add('refresh', 1, 1000);
    const gov = Governor.for(await connector(), 'refresh');
    const slot = await gov.acquire({ holder: 'long', maxWaitMs: 0 });
    const refreshedAt = async () => Date.parse((await admin.view('refresh')).slots[0]!.refreshedAt);
    const first = await refreshedAt();
    // Held for three expiry periods: the slot stays, refreshed by the broker's clock since it was taken.
    await new Promise((r) => setTimeout(r, 3000));
    expect(await refreshedAt()).toBeGreaterThan(first + 1500);
    expect(slot.lost.aborted).toBe(false);
    const view = await admin.view('refresh');
    expect(view.slots).toHaveLength(1);
    expect(view.slots[0]).toMatchObject({ id: slot.id, holder: 'long', pid: process.pid });
    expect(slot.id).toMatch(/^[0-9a-f]{16}$/);
    await expect(gov.acquire({ holder: 'other', maxWaitMs: 0 })).rejects.toMatchObject({ code: 'timeout' });
    await slot.release();
  });

  it('tells a holder its slot was lost when an operator evicts it, and frees the slot for others', async () => {
    await admin.add('evict', 1, 60_000);
    const gov = Governor.for(await connector(), 'evict', {});
    const slot = await gov.acquire({ holder: 'victim', maxWaitMs: 0 });
    await admin.evict('evict', slot.id);
    const next = await gov.acquire({ holder: 'next', maxWaitMs: 0 });
    await expect(admin.evict('evict', 'feedfeedfeedfeed')).rejects.toMatchObject({ code: 'not_found' });
    await next.release();
    // The victim finds out at its next refresh (a quarter of the expiry); shorten the wait with a short governor.
    await admin.add('evict2', 1, 1000);
    const g2 = Governor.for(await connector(), 'evict2');
    const s2 = await g2.acquire({ holder: 'victim', maxWaitMs: 0 });
    const lost2 = new Promise((r) => s2.lost.addEventListener('abort', r));
    await admin.evict('evict2', s2.id);
    await lost2;
    expect(s2.lost.aborted).toBe(true);
    await s2.release(); // nothing left to delete: not an error
    await slot.release();
  });

  it('lists, updates capacity at once, and removes governors', async () => {
    await admin.add('listed', 3, parseDuration('20m'));
    const updated = await admin.add('listed', 5, parseDuration('1h'));
    expect(updated).toMatchObject({ created: false, info: { capacity: 5, expiryMs: 3_600_000 } });
    expect((await admin.list()).map((g) => g.name)).toContain('listed');
    await admin.rm('listed');
    expect((await admin.list()).map((g) => g.name)).not.toContain('listed');
    await expect(admin.rm('listed')).rejects.toMatchObject({ code: 'not_found' });
    await expect(Governor.for(await connector(), 'listed').acquire({ holder: 'x', maxWaitMs: 0 })).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('refuses bad names, capacities and durations, and a broker or connector without JetStream', async () => {
    await expect(admin.add('no.dots', 1, 60_000)).rejects.toMatchObject({ code: 'bad_input' });
    await expect(admin.add('ok', 0, 60_000)).rejects.toMatchObject({ code: 'bad_input' });
    expect(() => parseDuration('soon')).toThrow(GovernorError);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('90')).toBe(90_000);
    const none = Governor.for(await connector(bare.url), 'PUPPET', { timeoutMs: 2000 });
    await expect(none.acquire({ holder: 'x', maxWaitMs: 0 })).rejects.toMatchObject({
      code: 'unavailable',
      message: expect.stringContaining('JetStream') as string,
    });
    expect(() => Governor.for({ kind: 'amqp' } as unknown as Connector, 'PUPPET')).toThrow(/connector = amqp/);
  });

  it('stops waiting when the caller gives up', async () => {
    await admin.add('abort', 1, 60_000);
    const gov = Governor.for(await connector(), 'abort');
    const held = await gov.acquire({ holder: 'a', maxWaitMs: 0 });
    const ac = new AbortController();
    const waiting = gov.acquire({ holder: 'b', maxWaitMs: 60_000, signal: ac.signal });
    ac.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'aborted' });
    await held.release();
  });
});
