import { TroupeError, type ErrorCodeTable } from '../../errors.js';
import type { Filter } from '../../filter/index.js';

/** A part of a method's source that gave no answer (a site's registry): its nodes are missing from the result. */
export interface UnansweredSite {
  site: string;
  reason: string;
}

export interface DiscoveryRequest {
  filter: Filter;
  collective: string;
  timeoutMs: number;
  /** Broadcast discovery ends this long after the last reply. */
  quietWindowMs: number;
  /** `--do key=value` options and `--nodes FILE`. */
  options: Readonly<Record<string, string>>;
  /** Told of each node as it is found, by methods that find them one at a time (broadcast). */
  onNode?(identity: string): void;
  /** Told of each site that did not answer, by methods that read several (the registry over `registry_sites`). */
  onUnanswered?(site: UnansweredSite): void;
}

/** A way of finding which nodes match a filter. */
export interface DiscoveryMethod {
  readonly name: string;
  discover(request: DiscoveryRequest): Promise<string[]>;
}

export const DISCOVERY_ERROR_CODES = {
  unsupported_filter: 'the discovery method cannot evaluate the filter given (flatfile takes identity filters only)',
  bad_source: 'the nodes file or a `--do` option of the discovery method cannot be used',
  unknown_method: 'no discovery method of that name',
  unavailable: 'the discovery method cannot run here (the registry needs NATS with JetStream)',
  no_site_answered: 'none of the sites whose registries were asked answered (registry_sites)',
} as const satisfies ErrorCodeTable;
export type DiscoveryErrorCode = keyof typeof DISCOVERY_ERROR_CODES;

export class DiscoveryError extends TroupeError {
  override readonly name = 'DiscoveryError';
  declare readonly code: DiscoveryErrorCode;
  constructor(code: DiscoveryErrorCode, message: string) {
    super(code, message);
  }
}
