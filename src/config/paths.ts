import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface ConfigPathEnvironment {
  env?: NodeJS.ProcessEnv;
  home?: string;
  exists?: (file: string) => boolean;
}

export const SERVER_CONFIG_PATH = '/etc/troupe/server.cfg';
export const SYSTEM_CLIENT_CONFIG_PATH = '/etc/troupe/client.cfg';

/**
 * Where the config file is when none is named. Client: $TROUPE_CONFIG, then
 * ~/.troupe/client.cfg, then /etc/troupe/client.cfg, the first that exists (an explicit
 * $TROUPE_CONFIG is returned even when missing, so the error names it). Server:
 * /etc/troupe/server.cfg when present. `undefined` means run on defaults.
 */
export function defaultConfigPath(
  scope: 'server' | 'client',
  { env = process.env, home = os.homedir(), exists = fs.existsSync }: ConfigPathEnvironment = {},
): string | undefined {
  if (scope === 'server') return exists(SERVER_CONFIG_PATH) ? SERVER_CONFIG_PATH : undefined;
  const explicit = env['TROUPE_CONFIG'];
  if (explicit !== undefined && explicit !== '') return explicit;
  const candidates = [path.join(home, '.troupe', 'client.cfg'), SYSTEM_CLIENT_CONFIG_PATH];
  return candidates.find((candidate) => exists(candidate));
}
