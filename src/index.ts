/**
 * troupe as a library: connect to the fleet, discover nodes, call agents and read the results as `mco` shows them.
 *
 *     import { connect } from 'troupe';
 *     const t = await connect({ config: '/etc/troupe/client.cfg' });
 *     const call = t.rpc('rpcutil', 'ping', {}, { filter: { class: 'nginx' } });
 *     for await (const reply of call) console.log(reply.sender, reply.statusmsg);
 *     console.log((await call.result()).stats);
 *     await t.close();
 */
export { connect, Troupe, checkedInputs } from './client/connect.js';
export type { ConnectOptions, DiscoverOptions, RpcOptions, TargetingOptions } from './client/options.js';
export { RpcCall, type RequestStats, type RpcProgress, type RpcReply, type RpcResult } from './client/call.js';
export type { Discovered } from './client/request.js';
export type { Reply } from './client/results.js';
export { EXIT } from './client/exit-codes.js';

export { filter, parseFilter, type FactSpec, type FilterInput, type FilterSpec } from './client/filters.js';
export { describeFilter, emptyFilter, type FactFilter, type FactOperator, type Filter, type FilterOptions } from './filter/index.js';

export {
  defineAgent,
  type ActionTypes,
  type AgentActions,
  type AgentClient,
  type TypedAgentDDL,
  type UntypedActions,
} from './client/typed.js';
export { generateClient, type GenerateClientOptions } from './ddl/generate-client.js';
export {
  aggregate,
  loadDDLFile,
  parseDDL,
  renderAggregate,
  type ActionDDL,
  type AgentDDL,
  type AggregateResult,
  type InputDDL,
  type OutputDDL,
} from './ddl/index.js';

// Every error troupe raises on purpose is a TroupeError with a stable `code` (the README's error code table).
export { TroupeError } from './errors.js';
export { AbortError, RequestError, type RequestErrorCode } from './client/request-errors.js';
export { UsageError } from './client/errors.js';
export { FilterError, type FilterErrorCode } from './filter/index.js';
export { DDLError, type DDLErrorCode } from './ddl/index.js';
export { DiscoveryError } from './client/discovery/index.js';
export { TransportError } from './transport/index.js';
export { ConfigError, type ConfigErrorCode } from './config/index.js';
export { SecurityError } from './security/provider.js';

export { loadConfig, parseConfig, type Config } from './config/index.js';
// For programs that host the client applications themselves (a web console): the composition `mco` uses.
export { ClientContext, clientConfig, type ClientContextOptions } from './client/context.js';
export type { ClientDefaults, ClientSession, Output } from './client/session.js';
