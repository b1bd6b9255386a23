// Flatfile discovery: identities listed in a file, one per line (# comments); only identity filters apply.
import { readFileSync } from 'node:fs';
import { compileFilter, isEmptyFilter } from '../../filter/index.js';
import { DiscoveryError, type DiscoveryMethod, type DiscoveryRequest } from './method.js';
import type { DiscoveryPlugin } from './methods.js';

const NAME = 'flatfile';

export function readNodesFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new DiscoveryError(
      'bad_source',
      `cannot read nodes file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  return [
    ...new Set(
      text
        .split('\n')
        .map((l) => l.replace(/#.*/, '').trim())
        .filter(Boolean),
    ),
  ];
}

export class FlatfileDiscovery implements DiscoveryMethod {
  readonly name = NAME;

  async discover(req: DiscoveryRequest): Promise<string[]> {
    const file = req.options.file ?? req.options.nodes;
    if (!file) throw new DiscoveryError('bad_source', 'flatfile discovery needs a file: --nodes FILE or --do file=FILE');
    const { identity, ...rest } = req.filter;
    if (!isEmptyFilter({ ...rest, identity: [] })) {
      throw new DiscoveryError('unsupported_filter', 'flatfile discovery supports identity filters only (-I)');
    }
    const nodes = readNodesFile(file);
    if (identity.length === 0) return nodes;
    const match = compileFilter({ fact: [], cf_class: [], agent: [], compound: [], identity });
    return nodes.filter((n) => match({ identity: n, facts: {}, classes: [], agents: [] }));
  }
}

export const flatfileDiscovery: DiscoveryPlugin = {
  name: NAME,
  aliases: [],
  capabilities: { filters: ['identity'], asksNodes: false },
  create: () => Promise.resolve(new FlatfileDiscovery()),
};
