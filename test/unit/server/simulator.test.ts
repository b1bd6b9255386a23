// The simulator's virtual nodes take the collectives and main collective of the config, as a daemon does.
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { builtinAgents } from '../../../src/plugins/agents/index.js';
import { InsecureProvider } from '../../../src/security/index.js';
import { FleetSimulator } from '../../../src/server/simulator.js';
import { MemoryBroker } from '../../helpers/memory-connector.js';

let sim: FleetSimulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

async function start(o: { collectives: string[]; mainCollective?: string; nodeCollectives?: string[] }): Promise<FleetSimulator> {
  const broker = new MemoryBroker();
  sim = new FleetSimulator({
    nodes: [{ identity: 'n01', ...(o.nodeCollectives && { collectives: o.nodeCollectives }) }],
    collectives: o.collectives,
    mainCollective: o.mainCollective,
    connectorFor: () => broker.connector(),
    security: new InsecureProvider('user=test'),
    agents: builtinAgents(),
    logger: pino({ level: 'silent' }),
    maxMessageSize: 65536,
    version: 'test',
  });
  await sim.start();
  return sim;
}

describe('FleetSimulator collectives', () => {
  it('uses main_collective even when it is not the first of collectives', async () => {
    const node = (await start({ collectives: ['ams', 'mcollective'], mainCollective: 'mcollective' })).servers[0]!;
    expect(node.collectives).toEqual(['ams', 'mcollective']);
    expect(node.mainCollective).toBe('mcollective');
  });

  it('a node with collectives of its own that lack main_collective takes its first as main', async () => {
    const node = (await start({ collectives: ['mcollective'], mainCollective: 'mcollective', nodeCollectives: ['lab'] })).servers[0]!;
    expect(node.mainCollective).toBe('lab');
  });
});
