export { ConfigError, type ConfigErrorCode } from './errors.js';
export {
  CONFIG_KEYS,
  isConfigKey,
  keySpec,
  type ConfigKey,
  type ConfigKeyDeclaration,
  type ConfigScope,
  type ConfigValue,
  type KeySpec,
  type KeyType,
} from './keys.js';
export { parseBoolean } from './values.js';
export { shellCommand, shellQuote } from './shell.js';
export { REDACTED, isSecretKey, maskUrlCredentials } from './secrets.js';
export { describeConfigItem, loadConfig, parseConfig, type Config } from './config.js';
export { defaultConfigPath, SERVER_CONFIG_PATH, SYSTEM_CLIENT_CONFIG_PATH, type ConfigPathEnvironment } from './paths.js';
export { configReference } from './reference.js';
export {
  BROKER_SRV_NAMES,
  CA_SRV_NAMES,
  caServiceUrl,
  domainFromFacts,
  findBrokers,
  findCaService,
  lookupSrv,
  orderSrvRecords,
  SrvError,
  SRV_ERROR_CODES,
  type SrvAnswer,
  type SrvContext,
  type SrvErrorCode,
  type SrvRecord,
} from './srv.js';
