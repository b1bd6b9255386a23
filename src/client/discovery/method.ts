import type { Filter } from '../../filter/index.js';

export interface DiscoveryRequest {
  filter: Filter;
  collective: string;
  timeoutMs: number;
  /** Broadcast discovery ends this long after the last reply. */
  quietWindowMs: number;
  /** `--do key=value` options and `--nodes FILE`. */
  options: Readonly<Record<string, string>>;
}

/** A way of finding which nodes match a filter. */
export interface DiscoveryMethod {
  readonly name: string;
  discover(request: DiscoveryRequest): Promise<string[]>;
}

export class DiscoveryError extends Error {
  override readonly name = 'DiscoveryError';
  constructor(readonly code: 'unsupported_filter' | 'bad_source' | 'unknown_method' | 'unavailable', message: string) {
    super(message);
  }
}
