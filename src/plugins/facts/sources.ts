// The node's fact sources, found by name (`factsource = facter, yaml`) and merged in that order, later winning:
// `yaml` is the fact files of plugin.yaml (polled), `facter` runs Facter in the background. Puppet's classes file
// is read whatever the sources are.
import type { Config } from '../../config/index.js';
import type { FactSource, NodeState } from '../../server/fact-source.js';
import { loadClassesFile } from './classes.js';
import { FacterSource, type FacterLogger } from './facter.js';
import { deepMerge, loadFactFiles, type Facts } from './files.js';
import { FactWatcher } from './watcher.js';

export const FACT_SOURCE_NAMES = ['yaml', 'facter'] as const;
export type FactSourceName = (typeof FACT_SOURCE_NAMES)[number];

export interface FactSourceOptions {
  logger: FacterLogger;
  /** Facter facts of the source this one replaces (SIGHUP), so the node does not lose them while Facter runs again. */
  facterSeed?: Facts;
  env?: NodeJS.ProcessEnv;
}

/** The fact sources `factsource` names, as one FactSource for the daemon. */
export function factSourceFromConfig(config: Config, opts: FactSourceOptions): ConfiguredFactSource {
  return new ConfiguredFactSource(config, opts);
}

export class ConfiguredFactSource implements FactSource {
  private readonly order: readonly FactSourceName[];
  private readonly paths: readonly string[];
  private readonly classesFile: string;
  private files: { facts: Facts; classes: readonly string[] } = { facts: {}, classes: [] };
  private facterFacts: Facts | undefined;
  private watcher: FactWatcher | undefined;
  private facter: FacterSource | undefined;

  constructor(
    private readonly config: Config,
    private readonly opts: FactSourceOptions,
  ) {
    // The config key's pattern admits only known names; the filter keeps a typo from becoming a source anyway.
    this.order = config.get('factsource').filter((n): n is FactSourceName => (FACT_SOURCE_NAMES as readonly string[]).includes(n));
    this.paths = this.order.includes('yaml') ? config.get('plugin.yaml') : [];
    this.classesFile = config.get('classesfile');
    this.facterFacts = this.order.includes('facter') ? opts.facterSeed : undefined;
  }

  /** The last facts Facter gave (or the seed); undefined when Facter is not a source or has not answered yet. */
  get lastFacterFacts(): Facts | undefined {
    return this.facter?.current ?? this.facterFacts;
  }

  load(): NodeState {
    this.files = { facts: loadFactFiles(this.paths), classes: loadClassesFile(this.classesFile) };
    return this.state();
  }

  watch(onChange: (state: NodeState) => void, onError: (err: Error) => void): void {
    this.watcher = new FactWatcher(
      this.paths,
      this.classesFile,
      this.config.get('fact_reload_interval') * 1000,
      (facts, classes) => {
        this.files = { facts, classes };
        onChange(this.state());
      },
      onError,
    );
    // load() has just read these files: remember their state so only later changes count as reloads.
    try {
      this.watcher.reload();
    } catch {
      // Broken now: start() reports it through onError.
    }
    this.watcher.start();
    if (!this.order.includes('facter')) return;
    this.facter = new FacterSource({
      command: words(this.config.get('plugin.facts.facter_command')),
      intervalMs: this.config.get('plugin.facts.facter_interval') * 1000,
      timeoutMs: this.config.get('plugin.facts.facter_timeout') * 1000,
      logger: this.opts.logger,
      seed: this.facterFacts,
      env: this.opts.env,
      onFacts: (facts) => {
        this.facterFacts = facts;
        onChange(this.state());
      },
    });
    this.facter.start();
  }

  refresh(): void {
    this.facter?.refresh();
  }

  /** Resolves when Facter has no run under way (tests). */
  async settled(): Promise<void> {
    await this.facter?.settled();
  }

  close(): void {
    this.watcher?.stop();
    this.facter?.stop();
  }

  private state(): NodeState {
    let facts: Facts = {};
    for (const name of this.order) facts = deepMerge(facts, name === 'yaml' ? this.files.facts : (this.facterFacts ?? {}));
    return { facts, classes: this.files.classes };
  }
}

function words(command: string): string[] {
  return command.trim().split(/\s+/).filter(Boolean);
}
