// MCollective's `-v` discovery line, drawn by every discovering command through the target options.
import { afterEach, describe, expect, it } from 'vitest';
import { discover } from '../../../src/client/request.js';
import type { Output } from '../../../src/client/session.js';
import { targetOptions } from '../../../src/cli/options.js';
import { discoveryLine } from '../../../src/cli/terminal.js';
import { rpcutilAgent } from '../../../src/plugins/agents/rpcutil/agent.js';
import { memoryFleet, type MemoryFleet } from '../client/memory-session.js';

let fleet: MemoryFleet | undefined;
afterEach(async () => {
  await fleet?.stop();
  fleet = undefined;
});

function output(isTTY: boolean): Output & { text: () => string } {
  const chunks: string[] = [];
  return { isTTY, write: (chunk: string) => chunks.push(chunk), text: () => chunks.join('') };
}

async function discoverWith(out: Output, flags: Record<string, unknown>): Promise<string[]> {
  fleet = await memoryFleet({ n01: { agents: [rpcutilAgent] }, n02: { agents: [rpcutilAgent] }, n03: { agents: [rpcutilAgent] } });
  const target = targetOptions(flags, { ...fleet.session.defaults, discoveryTimeoutMs: 2000 }, out);
  return (await discover(fleet.session, target)).nodes;
}

describe('the -v discovery line', () => {
  it('draws a dot per node on a terminal, then the count', async () => {
    const out = output(true);
    expect(await discoverWith(out, { verbose: true })).toEqual(['n01', 'n02', 'n03']);
    expect(out.text()).toBe('Discovering hosts using the mc method for 2 second(s) ... 3\n');
  });

  it('writes one plain line elsewhere', async () => {
    const out = output(false);
    await discoverWith(out, { verbose: true });
    expect(out.text()).toBe('Discovering hosts using the mc method for 2 second(s) .... 3\n');
  });

  it('says nothing without -v, with --json, or when identities need no discovery', async () => {
    const out = output(true);
    await discoverWith(out, {});
    await fleet!.stop();
    await discoverWith(out, { verbose: true, json: true });
    await fleet!.stop();
    await discoverWith(out, { verbose: true, wi: ['n01'] });
    expect(out.text()).toBe('');
  });

  it('ends its line when discovery fails', () => {
    const out = output(false);
    const line = discoveryLine(out);
    line.start('registry', 500);
    line.end(undefined);
    expect(out.text()).toBe('Discovering hosts using the registry method for 0.5 second(s) \n');
  });
});
