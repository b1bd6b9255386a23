// The registry of several sites: each site keeps its own (a bucket in its own JetStream cluster, or domain), and a
// reader asks them all at once. A site that does not answer costs its own nodes, never the others': it is named in
// the answer, so a caller can tell "not registered" from "not heard from".
import { DiscoveryError, type UnansweredSite } from './method.js';
import type { RegistryEntry, RegistrySource, ScanOptions } from './registry.js';

/** A site of `registry_sites`: `NAME`, or `NAME@DOMAIN` when its registry is in another JetStream domain. */
export interface RegistrySite {
  name: string;
  domain?: string;
}

const SITE_ENTRY = /^([A-Za-z0-9_-]+)(?:@([A-Za-z0-9_-]+))?$/;

/** `registry_sites` entries as sites; a malformed or repeated site is refused. */
export function parseRegistrySites(entries: readonly string[]): RegistrySite[] {
  const sites: RegistrySite[] = [];
  for (const entry of entries) {
    const m = SITE_ENTRY.exec(entry.trim());
    if (!m) throw new DiscoveryError('bad_source', `registry_sites: '${entry}' is not NAME or NAME@DOMAIN (letters, digits, _ and -)`);
    const [, name, domain] = m as unknown as [string, string, string | undefined];
    if (sites.some((s) => s.name === name)) throw new DiscoveryError('bad_source', `registry_sites names site '${name}' twice`);
    sites.push(domain === undefined ? { name } : { name, domain });
  }
  return sites;
}

export interface SiteSource {
  site: RegistrySite;
  source: RegistrySource;
}

const codeOf = (err: unknown): string | undefined => (err as { code?: string }).code;

/** A failed site in words: the error's message, which names the bucket or the JetStream that did not answer. */
const failureOf = (site: RegistrySite, err: unknown): UnansweredSite => ({ site: site.name, reason: (err as Error).message });

/**
 * Reads every site's registry concurrently and merges them. Sites that fail are returned as `unanswered`; when none
 * answers the read fails, with every site's reason. A scan for a collective named like a site reads that site alone.
 */
export class SitesRegistry implements RegistrySource {
  constructor(readonly sites: readonly SiteSource[]) {
    if (sites.length === 0) throw new DiscoveryError('bad_source', 'a registry of sites needs at least one site');
  }

  private chosen(collective: string | undefined): readonly SiteSource[] {
    const own = collective === undefined ? undefined : this.sites.find((s) => s.site.name === collective);
    return own ? [own] : this.sites;
  }

  async scan(visit: (entry: RegistryEntry) => void, opts: ScanOptions = {}): Promise<{ maxAgeMs: number; unanswered: UnansweredSite[] }> {
    const sites = this.chosen(opts.collective);
    const settled = await Promise.allSettled(sites.map((s) => s.source.scan(visit)));
    return this.merge(sites, settled);
  }

  async get(identity: string): Promise<{ record?: RegistryEntry; maxAgeMs: number; unanswered: UnansweredSite[] }> {
    const settled = await Promise.allSettled(this.sites.map((s) => s.source.get(identity)));
    const { maxAgeMs, unanswered } = this.merge(this.sites, settled);
    let record: RegistryEntry | undefined;
    for (const r of settled)
      if (r.status === 'fulfilled' && r.value.record && (!record || record.storedAt < r.value.record.storedAt)) record = r.value.record;
    return record ? { record, maxAgeMs, unanswered } : { maxAgeMs, unanswered };
  }

  /** The loosest max age of the sites that answered (0: one has none), and the sites that did not. */
  private merge(
    sites: readonly SiteSource[],
    settled: PromiseSettledResult<{ maxAgeMs: number; unanswered?: UnansweredSite[] }>[],
  ): { maxAgeMs: number; unanswered: UnansweredSite[] } {
    const unanswered: UnansweredSite[] = [];
    const ages: number[] = [];
    const errors: unknown[] = [];
    settled.forEach((r, i) => {
      if (r.status === 'fulfilled') {
        ages.push(r.value.maxAgeMs);
        unanswered.push(...(r.value.unanswered ?? []));
      } else {
        errors.push(r.reason);
        unanswered.push(failureOf(sites[i]!.site, r.reason));
      }
    });
    if (ages.length === 0) {
      // No node anywhere has registered yet: the bucket's own error says it best.
      if (errors.every((e) => codeOf(e) === 'registry_missing')) throw errors[0];
      const text =
        unanswered.length === 1
          ? `site ${unanswered[0]!.site} did not answer (${unanswered[0]!.reason})`
          : `no site's registry answered: ${unanswered.map((u) => `${u.site} (${u.reason})`).join('; ')}`;
      throw new DiscoveryError('no_site_answered', text);
    }
    const maxAgeMs = ages.includes(0) ? 0 : Math.max(...ages);
    return { maxAgeMs, unanswered };
  }
}
