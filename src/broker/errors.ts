import { TroupeError, type ErrorCodeTable } from '../errors.js';

export const BROKER_CONFIG_ERROR_CODES = {
  no_users: 'the CA has no signed certificate that may log in to the broker',
  bad_settings: 'a setting the broker configuration is made from cannot be used (plugin.security.client_pattern)',
  not_generated: 'the broker configuration was not written by `mco broker config`, or its settings line is damaged',
  unreadable: 'a certificate or the broker configuration cannot be read',
  reload_failed: 'the running nats-server cannot be told to reload (its pid file or the signal failed)',
} as const satisfies ErrorCodeTable;
export type BrokerConfigErrorCode = keyof typeof BROKER_CONFIG_ERROR_CODES;

/** A broker configuration that cannot be written or applied; `code` is stable for scripts. */
export class BrokerConfigError extends TroupeError {
  override readonly name = 'BrokerConfigError';
  declare readonly code: BrokerConfigErrorCode;
  constructor(code: BrokerConfigErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
