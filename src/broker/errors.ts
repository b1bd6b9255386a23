/** A broker configuration that cannot be written or applied; `code` is stable for scripts. */
export class BrokerConfigError extends Error {
  override readonly name = 'BrokerConfigError';
  constructor(
    readonly code: 'no_users' | 'bad_settings' | 'not_generated' | 'unreadable' | 'reload_failed',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
