// The command line's side of each client application: options in, the application run, its events and outcome
// written to the terminal, the exit code out. The applications themselves (client/apps) never write anywhere.
import { runFacts } from '../client/apps/facts.js';
import { runFind } from '../client/apps/find.js';
import { runInventory, runListCollectives } from '../client/apps/inventory.js';
import { runPing } from '../client/apps/ping.js';
import { runPluginDoc } from '../client/apps/plugin-doc.js';
import { runRegistryFacts, runRegistryInventory } from '../client/apps/registry.js';
import { runRpc } from '../client/apps/rpc.js';
import { unansweredLine } from '../client/discovery/registry.js';
import { renderFacts, renderRegistryFacts } from '../client/render/facts.js';
import { renderFind } from '../client/render/find.js';
import { renderCollectives, renderInventory, renderRegistryInventory } from '../client/render/inventory.js';
import { pingLine, renderPing, warningLine } from '../client/render/ping.js';
import { renderPluginDoc } from '../client/render/plugin-doc.js';
import { toOut } from '../client/render/rendered.js';
import { renderRpc } from '../client/render/request.js';
import { UsageError } from '../client/errors.js';
import type { ClientSession } from '../client/session.js';
import { outputOptions, sendOptions, targetOptions, type FilterFlags, type RequestFlags } from './options.js';
import { terminalFor, type Terminal } from './terminal.js';

export interface PingFlags extends FilterFlags {
  timeout?: number;
  expect?: number | 'registry';
  ttl?: number;
}

export interface FactsFlags extends RequestFlags {
  registry?: boolean;
}

export interface InventoryFlags extends FilterFlags {
  timeout?: number;
  registry?: boolean;
  listCollectives?: boolean;
}

export async function pingCommand(session: ClientSession, flags: PingFlags, term: Terminal = terminalFor(session)): Promise<number> {
  const json = Boolean(flags.json);
  const options = {
    target: targetOptions(flags, session.defaults),
    timeoutMs: flags.timeout !== undefined ? flags.timeout * 1000 : undefined,
    ttl: flags.ttl ?? session.defaults.ttl,
    expect: flags.expect,
  };
  const outcome = await runPing(session, options, (e) => {
    if (e.type === 'warning') term.err.write(warningLine(e.message));
    else if (e.type === 'reply' && !json) term.out.write(pingLine(e.reply));
  });
  term.write(renderPing(outcome, json));
  return outcome.exitCode;
}

export async function findCommand(session: ClientSession, flags: FilterFlags, term: Terminal = terminalFor(session)): Promise<number> {
  const outcome = await runFind(session, targetOptions(flags, session.defaults));
  term.write(renderFind(outcome, { json: Boolean(flags.json), verbose: Boolean(flags.verbose) }));
  return outcome.exitCode;
}

export async function rpcCommand(
  session: ClientSession,
  agent: string,
  action: string,
  inputs: string[],
  flags: RequestFlags,
  term: Terminal = terminalFor(session),
): Promise<number> {
  const output = outputOptions(flags);
  const options = {
    agent,
    action,
    args: inputs,
    target: targetOptions(flags, session.defaults),
    send: sendOptions(flags, session.defaults),
    discoveryOnly: Boolean(flags.discoveryOnly),
  };
  const outcome = await runRpc(session, options, term.requestProgress(output.progress && !output.json));
  term.write(renderRpc(outcome, { ...output, caption: `${agent}#${action} call stats`, palette: term.palette }));
  return outcome.exitCode;
}

export async function factsCommand(
  session: ClientSession,
  fact: string,
  flags: FactsFlags,
  term: Terminal = terminalFor(session),
): Promise<number> {
  const output = outputOptions(flags);
  const target = targetOptions(flags, session.defaults);
  if (flags.registry) {
    const outcome = await runRegistryFacts(session, fact, target);
    term.write(renderRegistryFacts(outcome, output));
    if (outcome.kind === 'registry_facts') for (const u of outcome.unanswered) term.write({ out: '', err: `mco: ${unansweredLine(u)}\n` });
    return outcome.exitCode;
  }
  const outcome = await runFacts(
    session,
    fact,
    target,
    sendOptions(flags, session.defaults),
    term.requestProgress(output.progress && !output.json),
  );
  term.write(renderFacts(outcome, { ...output, palette: term.palette }));
  return outcome.exitCode;
}

export async function inventoryCommand(
  session: ClientSession,
  identity: string | undefined,
  flags: InventoryFlags,
  term: Terminal = terminalFor(session),
): Promise<number> {
  const target = targetOptions(flags, session.defaults);
  const json = Boolean(flags.json);
  if (flags.listCollectives) {
    if (identity !== undefined || flags.registry) throw new UsageError('--list-collectives takes no node identity and no --registry');
    const send = { ttl: session.defaults.ttl, batchSleepMs: 0, noResults: false, timeoutMs: timeoutOf(flags) };
    const outcome = await runListCollectives(session, target, send);
    term.write(renderCollectives(outcome, { json, verbose: Boolean(flags.verbose), palette: term.palette }));
    return outcome.exitCode;
  }
  if (identity === undefined) throw new UsageError('inventory needs a node identity, or --list-collectives');
  if (flags.registry) {
    const outcome = await runRegistryInventory(session, identity, target);
    term.write(renderRegistryInventory(outcome, { json }));
    for (const u of outcome.unanswered) term.write({ out: '', err: `mco: ${unansweredLine(u)}\n` });
    return outcome.exitCode;
  }
  const outcome = await runInventory(session, identity, target, { timeoutMs: timeoutOf(flags) });
  term.write(renderInventory(outcome, { json }));
  return outcome.exitCode;
}

const timeoutOf = (flags: { timeout?: number }) => (flags.timeout !== undefined ? flags.timeout * 1000 : undefined);

export function pluginDocCommand(
  session: Pick<ClientSession, 'ddls' | 'dataDDLs' | 'defaults'>,
  agent: string | undefined,
  term: Terminal = terminalFor(session),
): number {
  const outcome = runPluginDoc(session, agent);
  term.write(toOut(renderPluginDoc(outcome)));
  return outcome.exitCode;
}
