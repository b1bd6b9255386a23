// Every failure reaches the user as one line and, where useful, a hint; stacks only with --debug.
import { ConfigError } from '../config/index.js';
import { DDLError } from '../ddl/index.js';
import { FilterError } from '../filter/index.js';
import { UsageError } from '../client/errors.js';
import { DiscoveryError } from '../client/discovery/index.js';
import { TransportError } from '../transport/index.js';
import { FactsError } from '../plugins/facts/index.js';
import { PlanError } from '../plan/errors.js';
import { PlanStoreError } from '../plan/store.js';

export function reportError(err: unknown, debug: boolean, write = (s: string) => process.stderr.write(s)): number {
  const e = err instanceof Error ? err : new Error(String(err));
  if (e instanceof FilterError) {
    write(`mco: invalid filter${e.option ? ` in ${e.option}` : ''}:\n${e.format().replace(/^/gm, '     ')}\n`);
  } else {
    write(`mco: ${e.message}\n`);
    const hint = hintFor(e);
    if (hint) write(`     ${hint}\n`);
  }
  if (debug && e.stack) write(e.stack + '\n');
  return 1;
}

function hintFor(e: Error): string | undefined {
  if (e instanceof UsageError) return e.hint;
  // Errors of lazily loaded modules (the CA client) carry their own hint.
  if ('hint' in e && typeof e.hint === 'string') return e.hint;
  if (e instanceof TransportError && e.code === 'connect_failed') return 'is the broker running? check middleware_hosts in your config, or pass --config';
  // The message of an unknown key already carries its suggestion.
  if (e instanceof ConfigError) return e.suggestion && !e.message.includes(e.suggestion) ? `did you mean '${e.suggestion}'?` : undefined;
  if (e instanceof DDLError) return "'mco plugin doc AGENT' shows the inputs an action takes";
  if (e instanceof DiscoveryError) return undefined;
  if (e instanceof PlanError) return e.hint;
  if (e instanceof PlanStoreError) return undefined;
  if (e instanceof FactsError) return 'check the files named in plugin.yaml';
  if (!(e instanceof UsageError) && !debug()) return 'run again with --debug for details';
  return undefined;
}

const debug = () => process.argv.includes('--debug');
