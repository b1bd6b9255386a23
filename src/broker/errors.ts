import { TroupeError, type ErrorCodeTable } from '../errors.js';

export const BROKER_CONFIG_ERROR_CODES = {
  no_users: 'the CA has no signed certificate that may log in to the broker',
  bad_settings: 'a setting the broker configuration is made from cannot be used (plugin.security.client_pattern)',
  not_generated: 'the broker configuration was not written by `mco broker config`, or its settings line is damaged',
  unreadable: 'a certificate or the broker configuration cannot be read',
  reload_failed: 'the running nats-server cannot be told to reload (its pid file or the signal failed)',
  bad_site: 'a site, server or JetStream domain name of the broker layout is not usable (`--site`, `--server-name`, `--hub-domain`, …)',
  bad_address: 'a listen address or a route, gateway or leafnode URL of the broker layout is not HOST:PORT or a URL of its kind',
  bad_layout:
    'the cluster, gateway, leafnode and JetStream settings do not fit together (a leaf site with a gateway port, routes without a cluster port, …)',
  no_brokers:
    'the broker joins other brokers but the CA has no signed broker certificate (`mco ca generate NAME --broker`), or its own is not one',
} as const satisfies ErrorCodeTable;
export type BrokerConfigErrorCode = keyof typeof BROKER_CONFIG_ERROR_CODES;

/** A broker configuration that cannot be written or applied; `code` is stable for scripts. */
export class BrokerConfigError extends TroupeError {
  override readonly name = 'BrokerConfigError';
  declare readonly code: BrokerConfigErrorCode;
  constructor(code: BrokerConfigErrorCode, message: string, options?: { cause?: unknown; hint?: string }) {
    super(code, message, options);
  }
}
