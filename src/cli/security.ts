import type { Config } from '../config/index.js';
import { InsecureProvider, type SecurityProvider } from '../security/index.js';

export function securityFromConfig(config: Config, _role: 'client' | 'server'): SecurityProvider {
  const name = config.get('securityprovider');
  if (name === 'insecure') return new InsecureProvider();
  throw new Error(`securityprovider '${name}' is not available in this build`);
}
