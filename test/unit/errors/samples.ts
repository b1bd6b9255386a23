// One instance of any catalogued error class with a given code, whatever its constructor takes.
import type { TroupeError } from '../../../src/errors.js';
import { ConfigError, type ConfigErrorCode } from '../../../src/config/errors.js';
import { SrvError, type SrvErrorCode } from '../../../src/config/srv.js';
import { FilterError, type FilterErrorCode } from '../../../src/filter/errors.js';
import { DDLError, type DDLErrorCode } from '../../../src/ddl/errors.js';
import { ProtocolError, type ProtocolErrorCode } from '../../../src/protocol/errors.js';
import { TransportError, type TransportErrorCode } from '../../../src/transport/connector.js';
import { RegistryError, type RegistryErrorCode } from '../../../src/transport/nats-registry.js';
import { BrokerIdentityError } from '../../../src/transport/tls-identity.js';
import { SecurityError, type SecurityErrorCode } from '../../../src/security/provider.js';
import { PolicyError } from '../../../src/security/policy/parse.js';
import { DerError, type DerErrorCode } from '../../../src/security/pki/der.js';
import { WeakCryptoError } from '../../../src/security/pki/x509-read.js';
import { CAError, type CAErrorCode } from '../../../src/security/ca/errors.js';
import { CaServiceError, type CaServiceErrorCode } from '../../../src/security/service/client.js';
import { ActionFailed } from '../../../src/server/agent.js';
import { FleetError } from '../../../src/server/fleet.js';
import { MetricsError } from '../../../src/server/metrics.js';
import { UsageError, type UsageErrorCode } from '../../../src/client/errors.js';
import { AbortError, RequestError, type RequestErrorCode } from '../../../src/client/request-errors.js';
import { DiscoveryError, type DiscoveryErrorCode } from '../../../src/client/discovery/method.js';
import { FactsError, type FactsErrorCode } from '../../../src/plugins/facts/errors.js';
import { PuppetAgentError, type PuppetErrorCode } from '../../../src/plugins/agents/puppet/errors.js';
import { PlanStoreError, type PlanStoreErrorCode } from '../../../src/plan/store.js';
import { PlanError, type PlanErrorCode } from '../../../src/plan/errors.js';
import { GovernorError, type GovernorErrorCode } from '../../../src/plan/governor.js';
import { BrokerConfigError, type BrokerConfigErrorCode } from '../../../src/broker/errors.js';
import { RabbitMQError, type RabbitMQErrorCode } from '../../../src/devkit/rabbitmq.js';
import { WebError, type WebErrorCode } from '../../../src/web/errors.js';

type Maker = (code: string) => TroupeError;

const MAKERS = new Map<abstract new (...args: never[]) => TroupeError, Maker>([
  [ConfigError, (c) => new ConfigError(c as ConfigErrorCode, 'config message')],
  [SrvError, (c) => new SrvError(c as SrvErrorCode, 'srv message')],
  [FilterError, (c) => new FilterError(c as FilterErrorCode, 'filter message', 'role=web', 0)],
  [DDLError, (c) => new DDLError(c as DDLErrorCode, 'ddl message')],
  [ProtocolError, (c) => new ProtocolError(c as ProtocolErrorCode, 'protocol message')],
  [TransportError, (c) => new TransportError(c as TransportErrorCode, 'transport message')],
  [RegistryError, (c) => new RegistryError(c as RegistryErrorCode, 'registry message')],
  [BrokerIdentityError, () => new BrokerIdentityError('broker identity message')],
  [SecurityError, (c) => new SecurityError(c as SecurityErrorCode, 'security message')],
  [PolicyError, () => new PolicyError('policy.conf', 3, 'policy message')],
  [DerError, (c) => new DerError('der message', c as DerErrorCode)],
  [WeakCryptoError, (c) => new WeakCryptoError(c as 'weak_key' | 'weak_signature', 'weak message')],
  [CAError, (c) => new CAError(c as CAErrorCode, 'ca message')],
  [CaServiceError, (c) => new CaServiceError(c as CaServiceErrorCode, 'ca service message')],
  [ActionFailed, (c) => new ActionFailed('action message', 1, {}, c)],
  [FleetError, () => new FleetError('fleet message')],
  [MetricsError, () => new MetricsError('metrics message')],
  [UsageError, (c) => new UsageError('usage message', undefined, c as UsageErrorCode)],
  [RequestError, (c) => new RequestError(c as RequestErrorCode, 'request message')],
  [AbortError, () => new AbortError()],
  [DiscoveryError, (c) => new DiscoveryError(c as DiscoveryErrorCode, 'discovery message')],
  [FactsError, (c) => new FactsError(c as FactsErrorCode, 'facts message')],
  [PuppetAgentError, (c) => new PuppetAgentError(c as PuppetErrorCode, 'puppet message')],
  [PlanError, (c) => new PlanError(c as PlanErrorCode, 'plan message', 'plan hint')],
  [PlanStoreError, (c) => new PlanStoreError(c as PlanStoreErrorCode, 'plan store message')],
  [GovernorError, (c) => new GovernorError(c as GovernorErrorCode, 'governor message')],
  [BrokerConfigError, (c) => new BrokerConfigError(c as BrokerConfigErrorCode, 'broker config message')],
  [RabbitMQError, (c) => new RabbitMQError(c as RabbitMQErrorCode, 'rabbitmq message')],
  [WebError, (c) => new WebError(c as WebErrorCode, 'web message', { hint: 'web hint' })],
]);

export function sampleOf(type: abstract new (...args: never[]) => TroupeError, code: string): TroupeError {
  const make = MAKERS.get(type);
  if (!make) throw new Error(`no sample maker for ${type.name}: add one to test/unit/errors/samples.ts`);
  return make(code);
}
