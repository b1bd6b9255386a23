// The discovery methods, declared once: each with its name (and aliases), what filters it can evaluate and whether
// it asks the nodes themselves, as MCollective's discovery plugins declare their capabilities in their DDL.
import { usesDataPlugins, type Filter } from '../../filter/index.js';
import type { RpcClient } from '../rpc-client.js';
import { DiscoveryError, type DiscoveryMethod } from './method.js';
import type { RegistrySource } from './registry.js';

/** `data`: data plugin calls in -S (`puppet().enabled=false`), which only the nodes themselves can answer. */
export const FILTER_KINDS = ['identity', 'class', 'fact', 'compound', 'agent', 'data'] as const;
export type FilterKind = (typeof FILTER_KINDS)[number];

export interface DiscoveryCapabilities {
  /** The filter kinds the method evaluates. */
  filters: readonly FilterKind[];
  /**
   * It asks every node over the broker and the matching ones answer (a round trip through the broker to the fleet);
   * the nodes it finds have matched the filter themselves, so a request may go to them by broadcast.
   */
  asksNodes: boolean;
}

/** What a method may need from the client that runs it; each is opened only when asked for. */
export interface DiscoveryContext {
  client(): Promise<RpcClient>;
  registry(): Promise<RegistrySource>;
  /** `discovery_expect_from_registry`. */
  expectFromRegistry: boolean;
  /** Where a method reports what it could not do before going on without it. */
  warn(line: string): void;
}

export interface DiscoveryPlugin {
  readonly name: string;
  /** Other names `--dm` and `default_discovery_method` accept for it. */
  readonly aliases: readonly string[];
  readonly capabilities: DiscoveryCapabilities;
  create(ctx: DiscoveryContext): Promise<DiscoveryMethod>;
}

/** The filter kinds a filter uses. */
export function filterKindsOf(filter: Filter): FilterKind[] {
  const used: FilterKind[] = [];
  if (filter.identity.length > 0) used.push('identity');
  if (filter.cf_class.length > 0) used.push('class');
  if (filter.fact.length > 0) used.push('fact');
  if (filter.compound.length > 0) used.push('compound');
  if (filter.agent.length > 0) used.push('agent');
  if (usesDataPlugins(filter)) used.push('data');
  return used;
}

/** Discovery methods by name: the built-in ones, in the order they are listed to users. */
export class DiscoveryMethods {
  private readonly byName = new Map<string, DiscoveryPlugin>();

  constructor(readonly plugins: readonly DiscoveryPlugin[]) {
    for (const p of plugins) for (const name of [p.name, ...p.aliases]) this.byName.set(name, p);
  }

  /** Every name a method is known by, aliases right after their method's name. */
  names(): string[] {
    return this.plugins.flatMap((p) => [p.name, ...p.aliases]);
  }

  find(name: string): DiscoveryPlugin | undefined {
    return this.byName.get(name);
  }

  /** The method known by `name`; DiscoveryError `unknown_method` listing the methods, most capable first, if none. */
  get(name: string): DiscoveryPlugin {
    const found = this.find(name);
    if (found) return found;
    const known = [...this.plugins].sort((a, b) => b.capabilities.filters.length - a.capabilities.filters.length).map((p) => p.name);
    throw new DiscoveryError('unknown_method', `unknown discovery method '${name}' (known: ${known.join(', ')})`);
  }

  /** The method's own name for a name or alias (`broadcast` is `mc`); unknown names come back unchanged. */
  canonical(name: string): string {
    return this.find(name)?.name ?? name;
  }

  supports(name: string, kind: FilterKind): boolean {
    return this.find(name)?.capabilities.filters.includes(kind) ?? false;
  }

  asksNodes(name: string): boolean {
    return this.find(name)?.capabilities.asksNodes ?? false;
  }
}
