// Finds agent DDLs on disk: every `<agent>/<agent>.ddl.json` below the given directories, first found wins.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadDDLFile } from './load.js';
import type { AgentDDL } from './types.js';

export class DDLRepository {
  private readonly cache = new Map<string, AgentDDL | null>();

  constructor(private readonly dirs: readonly string[]) {}

  find(agent: string): AgentDDL | undefined {
    if (!/^[a-z][a-z0-9_]*$/.test(agent)) return undefined;
    if (!this.cache.has(agent)) {
      const file = this.dirs.map((d) => join(d, agent, `${agent}.ddl.json`)).find((f) => existsSync(f));
      this.cache.set(agent, file ? loadDDLFile(file) : null);
    }
    return this.cache.get(agent) ?? undefined;
  }

  list(): AgentDDL[] {
    const names = new Set<string>();
    for (const dir of this.dirs) {
      if (!existsSync(dir)) continue;
      for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) names.add(entry.name);
    }
    return [...names].map((n) => this.find(n)).filter((d): d is AgentDDL => d !== undefined);
  }
}
