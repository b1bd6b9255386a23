// Security from configuration for the daemon: the action policy authorizer and the audit log. The providers
// themselves are built in security/from-config.ts, which clients share.
import { dirname, join } from 'node:path';
import type { Config } from '../config/index.js';
import { SecurityError } from '../security/provider.js';
import { PolicyAuthorizer } from '../security/policy/authorizer.js';
import { AuditLog } from '../security/audit/audit-log.js';
import { silentLog, type SecurityLog } from '../security/log.js';
import { allowAll, type Authorizer, type Auditor } from '../server/dispatcher.js';

export {
  ageRuleFromConfig,
  clientPattern,
  fleetSecurityFromConfig,
  pkiPaths,
  reconfigureReplayCache,
  replayCacheFromConfig,
  securityFromConfig,
  type PkiPaths,
} from '../security/from-config.js';

/** The action policy authorizer when `rpcauthorization` is on; otherwise everyone may run everything. */
export function authorizerFromConfig(config: Config, log: SecurityLog = silentLog): Authorizer {
  if (!config.get('rpcauthorization')) return allowAll;
  const dir = config.get('plugin.actionpolicy.dir') || join(config.file ? dirname(config.file) : '/etc/troupe', 'policies');
  return new PolicyAuthorizer({ dir, allowUnconfigured: config.get('plugin.actionpolicy.allow_unconfigured'), log });
}

/** The audit log when `rpcaudit` is on. */
export function auditorFromConfig(config: Config): (Auditor & { close(): void }) | undefined {
  if (!config.get('rpcaudit')) return undefined;
  const file = config.get('plugin.rpcaudit.logfile');
  if (!file) throw new SecurityError('not_configured', 'rpcaudit is on but plugin.rpcaudit.logfile is not set');
  return new AuditLog({ file, logValues: config.get('plugin.rpcaudit.log_values') });
}
