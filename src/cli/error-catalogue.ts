// The catalogue of every error troupe raises on purpose: each class, the module that owns it, and its codes with
// their meaning. The codes are declared once, beside each class; the README's table is generated from here.
import type { ErrorCodeTable, TroupeError } from '../errors.js';
import { CONFIG_ERROR_CODES, ConfigError } from '../config/errors.js';
import { SRV_ERROR_CODES, SrvError } from '../config/srv.js';
import { FILTER_ERROR_CODES, FilterError } from '../filter/errors.js';
import { DDL_ERROR_CODES, DDLError } from '../ddl/errors.js';
import { PROTOCOL_ERROR_CODES, ProtocolError } from '../protocol/errors.js';
import { TRANSPORT_ERROR_CODES, TransportError } from '../transport/connector.js';
import { REGISTRY_ERROR_CODES, RegistryError } from '../transport/nats-registry.js';
import { BROKER_IDENTITY_ERROR_CODES, BrokerIdentityError } from '../transport/tls-identity.js';
import { SECURITY_ERROR_CODES, SecurityError } from '../security/provider.js';
import { POLICY_ERROR_CODES, PolicyError } from '../security/policy/parse.js';
import { DER_ERROR_CODES, DerError } from '../security/pki/der.js';
import { WEAK_CRYPTO_ERROR_CODES, WeakCryptoError } from '../security/pki/x509-read.js';
import { CA_ERROR_CODES, CAError } from '../security/ca/errors.js';
import { CA_SERVICE_ERROR_CODES, CaServiceError } from '../security/service/client.js';
import { ACTION_FAILED_CODES, ActionFailed } from '../server/agent.js';
import { FLEET_ERROR_CODES, FleetError } from '../server/fleet.js';
import { METRICS_ERROR_CODES, MetricsError } from '../server/metrics.js';
import { USAGE_ERROR_CODES, UsageError } from '../client/errors.js';
import { ABORT_ERROR_CODES, AbortError, REQUEST_ERROR_CODES, RequestError } from '../client/request-errors.js';
import { DISCOVERY_ERROR_CODES, DiscoveryError } from '../client/discovery/method.js';
import { FACTS_ERROR_CODES, FactsError } from '../plugins/facts/errors.js';
import { PUPPET_ERROR_CODES, PuppetAgentError } from '../plugins/agents/puppet/errors.js';
import { PLAN_ERROR_CODES, PlanError } from '../plan/errors.js';
import { PLAN_STORE_ERROR_CODES, PlanStoreError } from '../plan/store.js';
import { GOVERNOR_ERROR_CODES, GovernorError } from '../plan/governor.js';
import { BROKER_CONFIG_ERROR_CODES, BrokerConfigError } from '../broker/errors.js';
import { RABBITMQ_ERROR_CODES, RabbitMQError } from '../devkit/rabbitmq.js';
import { WEB_ERROR_CODES, WebError } from '../web/errors.js';

export interface ErrorFamily {
  /** The class: callers test `instanceof` it and switch on `code`. */
  readonly type: abstract new (...args: never[]) => TroupeError;
  /** The folder of src/ that owns it. */
  readonly module: string;
  readonly codes: ErrorCodeTable;
  /** Where the codes come from, when not only this class's own table. */
  readonly note?: string;
}

export const ERROR_CATALOGUE: readonly ErrorFamily[] = [
  { type: ConfigError, module: 'config', codes: CONFIG_ERROR_CODES },
  { type: SrvError, module: 'config', codes: SRV_ERROR_CODES },
  { type: FilterError, module: 'filter', codes: FILTER_ERROR_CODES },
  { type: DDLError, module: 'ddl', codes: DDL_ERROR_CODES },
  { type: ProtocolError, module: 'protocol', codes: PROTOCOL_ERROR_CODES },
  { type: TransportError, module: 'transport', codes: TRANSPORT_ERROR_CODES },
  { type: RegistryError, module: 'transport', codes: REGISTRY_ERROR_CODES },
  { type: BrokerIdentityError, module: 'transport', codes: BROKER_IDENTITY_ERROR_CODES },
  { type: SecurityError, module: 'security', codes: SECURITY_ERROR_CODES },
  { type: PolicyError, module: 'security', codes: POLICY_ERROR_CODES },
  { type: DerError, module: 'security', codes: DER_ERROR_CODES },
  { type: WeakCryptoError, module: 'security', codes: WEAK_CRYPTO_ERROR_CODES },
  { type: CAError, module: 'security', codes: CA_ERROR_CODES },
  { type: CaServiceError, module: 'security', codes: CA_SERVICE_ERROR_CODES, note: 'or the CAError code the service answered with' },
  { type: ActionFailed, module: 'server', codes: ACTION_FAILED_CODES },
  { type: FleetError, module: 'server', codes: FLEET_ERROR_CODES },
  { type: MetricsError, module: 'server', codes: METRICS_ERROR_CODES },
  { type: UsageError, module: 'client', codes: USAGE_ERROR_CODES },
  { type: RequestError, module: 'client', codes: REQUEST_ERROR_CODES },
  { type: AbortError, module: 'client', codes: ABORT_ERROR_CODES },
  { type: DiscoveryError, module: 'client', codes: DISCOVERY_ERROR_CODES },
  { type: FactsError, module: 'plugins', codes: FACTS_ERROR_CODES },
  { type: PuppetAgentError, module: 'plugins', codes: PUPPET_ERROR_CODES },
  { type: PlanError, module: 'plan', codes: PLAN_ERROR_CODES },
  { type: PlanStoreError, module: 'plan', codes: PLAN_STORE_ERROR_CODES },
  { type: GovernorError, module: 'plan', codes: GOVERNOR_ERROR_CODES },
  { type: WebError, module: 'web', codes: WEB_ERROR_CODES },
  { type: BrokerConfigError, module: 'broker', codes: BROKER_CONFIG_ERROR_CODES },
  { type: RabbitMQError, module: 'devkit', codes: RABBITMQ_ERROR_CODES },
];

/** The catalogue as a Markdown table for the README (`npm run docs`). */
export function errorCodeReference(): string {
  const rows = ['| Code | Error (module) | Meaning |', '|---|---|---|'];
  for (const family of ERROR_CATALOGUE) {
    const owner = `${family.type.name} (${family.module})`;
    for (const [code, meaning] of Object.entries(family.codes)) rows.push(`| \`${code}\` | ${owner} | ${escapeCell(meaning)} |`);
    if (family.note) rows.push(`| … | ${owner} | ${escapeCell(family.note)} |`);
  }
  return rows.join('\n') + '\n';
}

const escapeCell = (text: string) => text.replace(/\|/g, '\\|');
