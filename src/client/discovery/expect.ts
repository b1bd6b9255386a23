// Broadcast waits that know how many answers to expect. Broadcast discovery (and ping) wait until replies stop
// for the quiet window, because nobody knows how many nodes match. The registry does: with its count, the wait
// ends the moment the last registered match answers. The price is the registry's staleness: a node that matches
// but has not registered yet is missed if the registered ones all answer first; a registered node that died makes
// the wait fall back to the quiet window, never shorter than before.
import type { Filter } from '../../filter/index.js';
import { queryRegistry, type RegistrySource } from './registry.js';
import type { DiscoveryMethod, DiscoveryRequest } from './method.js';

/**
 * How many registered nodes of `collective` match; undefined when none (an empty registry tells nothing) or when a
 * site did not answer (a count short of its nodes would end the wait before they reply).
 */
export async function registeredCount(source: RegistrySource, filter: Filter, collective: string): Promise<number | undefined> {
  const { nodes, unanswered } = await queryRegistry(source, { filter, collective });
  return nodes.length > 0 && unanswered.length === 0 ? nodes.length : undefined;
}

export interface ExpectSettings {
  /** The registry, opened only when a count is wanted. */
  registry(): Promise<RegistrySource>;
  /** `discovery_expect_from_registry`: count from the registry unless the request says otherwise. */
  byDefault: boolean;
  /** Where a by-default count that could not be had is reported, before broadcast discovery goes on without it. */
  warn(line: string): void;
}

/**
 * Wraps broadcast discovery: `--do expect=registry` (or the config default) replaces the expected count with the
 * registry's. Asked for explicitly, an unavailable registry is an error; by default, a one-line warning.
 */
export class ExpectFromRegistry implements DiscoveryMethod {
  readonly name: string;

  constructor(
    private readonly inner: DiscoveryMethod,
    private readonly settings: ExpectSettings,
  ) {
    this.name = inner.name;
  }

  async discover(req: DiscoveryRequest): Promise<string[]> {
    const asked = req.options.expect === 'registry';
    if (!asked && !(this.settings.byDefault && req.options.expect === undefined)) return this.inner.discover(req);
    const { expect: _, ...options } = req.options;
    let count: number | undefined;
    try {
      count = await registeredCount(await this.settings.registry(), req.filter, req.collective);
    } catch (err) {
      if (asked) throw err;
      this.settings.warn(`warning: no expected count from the registry (${(err as Error).message}); waiting for the quiet window`);
    }
    return this.inner.discover({ ...req, options: count !== undefined ? { ...options, expect: String(count) } : options });
  }
}
