// The NATS connector's reconnect settings: back-off bounds (a fixed random source, no clock) and option checks.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../src/config/index.js';
import { backoffDelay, TransportError } from '../../../src/transport/connector.js';
import { NatsConnector, natsConnector } from '../../../src/transport/nats.js';

const lowest = () => 0;
const highest = () => 1 - Number.EPSILON;

describe('backoffDelay', () => {
  it('doubles from 100 ms and keeps every delay within 50–100% of the exponential step', () => {
    for (let attempt = 0; attempt < 8; attempt++) {
      const step = 100 * 2 ** attempt;
      expect(backoffDelay(attempt, 60_000, lowest)).toBe(step / 2);
      expect(backoffDelay(attempt, 60_000, highest)).toBe(step);
      expect(backoffDelay(attempt, 60_000, () => 0.5)).toBe(Math.round(step * 0.75));
    }
  });

  it('is capped by the longest wait, jitter included', () => {
    expect(backoffDelay(30, 5000, highest)).toBe(5000);
    expect(backoffDelay(30, 5000, lowest)).toBe(2500);
    expect(backoffDelay(1e9, 5000, highest)).toBe(5000);
  });

  it('spreads a fleet: delays for one attempt take many values', () => {
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const delays = new Set(Array.from({ length: 200 }, () => backoffDelay(5, 5000, random)));
    expect(delays.size).toBeGreaterThan(100);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(1600);
    expect(Math.max(...delays)).toBeLessThanOrEqual(3200);
  });

  it('treats a negative attempt as the first', () => {
    expect(backoffDelay(-3, 5000, highest)).toBe(100);
  });
});

describe('NatsConnector options', () => {
  const servers = ['nats://127.0.0.1:4222'];

  it.each([
    ['reconnectBufferBytes', -1],
    ['lameDuckSpreadMs', Number.NaN],
    ['lameDuckOverlapMs', -5],
    ['maxReconnectWaitMs', Number.POSITIVE_INFINITY],
  ])('refuses %s = %s with a clear error', (name, value) => {
    let thrown: unknown;
    try {
      new NatsConnector({ servers, [name]: value });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(TransportError);
    expect((thrown as TransportError).code).toBe('bad_option');
    expect((thrown as Error).message).toMatch(/must be a number of at least 0/);
  });

  it('takes 0 for the buffer (drop everything while disconnected) and the spread (move at once)', () => {
    expect(() => new NatsConnector({ servers, reconnectBufferBytes: 0, lameDuckSpreadMs: 0 })).not.toThrow();
  });

  it('reads plugin.nats.reconnect_buffer and plugin.nats.lame_duck_spread, with their defaults', () => {
    const config = parseConfig('middleware_hosts = nats://127.0.0.1:4222\n');
    expect(config.get('plugin.nats.reconnect_buffer')).toBe(8192);
    expect(config.get('plugin.nats.lame_duck_spread')).toBe(5);
    const c = natsConnector.create(parseConfig('plugin.nats.reconnect_buffer = 0\nplugin.nats.lame_duck_spread = 0.5\n'), {
      name: 'test',
      waitForBroker: false,
      identity: 'n1',
    });
    expect(c).toBeInstanceOf(NatsConnector);
  });

  it.each([
    ['plugin.nats.reconnect_buffer', '-1'],
    ['plugin.nats.reconnect_buffer', '1.5'],
    ['plugin.nats.lame_duck_spread', '-2'],
    ['plugin.nats.lame_duck_spread', 'soon'],
  ])('a config file with %s = %s is refused', (key, value) => {
    expect(() => parseConfig(`${key} = ${value}\n`).get(key as 'plugin.nats.reconnect_buffer')).toThrow(ConfigError);
  });
});
