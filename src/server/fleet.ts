// Fleet descriptions for the simulator: read from a JSON file, or generated with varied, repeatable facts.
import { readFileSync } from 'node:fs';
import { TroupeError, type ErrorCodeTable } from '../errors.js';
import { describeSchemaErrors, validatorFor } from '../protocol/index.js';

export interface VirtualNode {
  identity: string;
  facts?: Record<string, unknown>;
  classes?: string[];
  agents?: string[];
  collectives?: string[];
  /**
   * Misbehaviour for tests and demos: actions (`agent#action`, or `agent` for all of its actions) this node fails
   * (status 1, "simulated failure"), or runs and never answers. Discovery is never affected.
   */
  simulate?: { fail?: string[]; silent?: string[] };
  /** This node's own `plugin.*` settings (Puppet directories, say), over those of the config file. */
  settings?: Record<string, string>;
}

export interface Fleet {
  nodes: VirtualNode[];
}

/**
 * The `plugin.<agent>.*` settings of one virtual node, prefix removed: the config file's (`fromConfig`),
 * then the node's own. `{identity}` in a value becomes the node's identity, so one config serves a fleet.
 */
export function nodePluginSettings(
  node: VirtualNode,
  agent: string,
  fromConfig: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const prefix = `plugin.${agent}.`;
  const result: Record<string, string> = {};
  const put = (key: string, value: string) => (result[key] = value.split('{identity}').join(node.identity));
  for (const [key, value] of Object.entries(fromConfig)) put(key, value);
  for (const [key, value] of Object.entries(node.settings ?? {})) if (key.startsWith(prefix)) put(key.slice(prefix.length), value);
  return result;
}

export const FLEET_ERROR_CODES = {
  bad_fleet: 'a fleet file for `mco sim` that cannot be read or breaks the fleet schema',
} as const satisfies ErrorCodeTable;

export class FleetError extends TroupeError {
  override readonly name = 'FleetError';
  declare readonly code: keyof typeof FLEET_ERROR_CODES;
  constructor(message: string) {
    super('bad_fleet', message);
  }
}

export function parseFleet(json: unknown, origin = 'fleet'): Fleet {
  const check = validatorFor<Fleet>('troupe:fleet');
  if (!check(json)) throw new FleetError(`${origin}: ${describeSchemaErrors(check.errors)}`);
  const seen = new Set<string>();
  for (const n of json.nodes) {
    if (seen.has(n.identity)) throw new FleetError(`${origin}: identity '${n.identity}' appears twice`);
    seen.add(n.identity);
  }
  return json;
}

export function loadFleetFile(path: string): Fleet {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new FleetError(`cannot read fleet file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new FleetError(`fleet file ${path} is not JSON: ${(err as Error).message}`);
  }
  return parseFleet(json, path);
}

const ROLES = ['web', 'web', 'web', 'db', 'cache', 'app', 'app', 'lb'];
const OSES = [
  { family: 'Debian', name: 'Debian', release: { full: '12.11', major: '12' }, distro: { codename: 'bookworm' } },
  { family: 'Debian', name: 'Ubuntu', release: { full: '22.04', major: '22.04' }, distro: { codename: 'jammy' } },
  { family: 'RedHat', name: 'Rocky', release: { full: '9.4', major: '9' }, distro: { codename: 'Blue Onyx' } },
];
const SITES = ['ams1', 'fra1', 'lon1'];
const PUPPET_VERSIONS = ['7.23.0', '7.30.1', '8.4.0'];

/** `count` nodes named <prefix>-00001.example.net … with facts that vary by index but never by run. */
export function generateFleet(count: number, prefix = 'node', offset = 0): Fleet {
  const width = Math.max(5, String(offset + count).length);
  const nodes: VirtualNode[] = [];
  for (let i = offset; i < offset + count; i++) {
    const role = ROLES[i % ROLES.length]!;
    const os = OSES[Math.floor(i / 3) % OSES.length]!;
    const site = SITES[Math.floor(i / 7) % SITES.length]!;
    const cpus = [2, 4, 8, 16][i % 4]!;
    nodes.push({
      identity: `${prefix}-${String(i + 1).padStart(width, '0')}.example.net`,
      facts: {
        role,
        site,
        environment: i % 10 === 0 ? 'staging' : 'production',
        os,
        kernel: 'Linux',
        kernelversion: ['6.1.0', '5.15.0', '5.14.0'][Math.floor(i / 3) % 3],
        processors: { count: cpus },
        memory: { system: { total_bytes: cpus * 2 * 1024 ** 3 } },
        puppetversion: PUPPET_VERSIONS[i % PUPPET_VERSIONS.length],
        networking: { fqdn: `${prefix}-${String(i + 1).padStart(width, '0')}.example.net` },
      },
      classes: ['base', `role::${role}`, `profile::${site}`, ...(role === 'web' ? ['nginx'] : role === 'db' ? ['postgresql'] : [])],
    });
  }
  return { nodes };
}
