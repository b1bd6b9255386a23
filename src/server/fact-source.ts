// What a fact source implements (plugins/facts): the daemon asks it for the node's facts and classes, and hears
// when they change. Sources that are slow to read (Facter) answer later through the change callback.

export interface NodeState {
  facts: Record<string, unknown>;
  classes: readonly string[];
}

export interface FactSource {
  /** What is known now: fast sources are read at once (throwing when broken), slow ones give their last result. */
  load(): NodeState;
  /** Calls back with fresh state whenever it changes. */
  watch(onChange: (state: NodeState) => void, onError: (err: Error) => void): void;
  /** SIGHUP: read the slow sources again now; their result arrives through watch()'s callback. */
  refresh?(): void;
  close(): void;
}
