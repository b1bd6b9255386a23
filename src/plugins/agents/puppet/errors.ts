import type { ErrorCodeTable } from '../../../errors.js';
import { ActionFailed } from '../../../server/agent.js';

export const PUPPET_ERROR_CODES = {
  bad_setting: 'a `plugin.puppet.*` setting cannot be used',
  settings_unavailable: "Puppet's settings could not be read (`puppet config print`)",
  disabled: 'Puppet is administratively disabled, so it does not run',
  applying: 'Puppet is applying a catalog, so it cannot run now',
  run_pending: 'a run requested earlier has not finished yet',
  already_disabled: 'Puppet is already disabled',
  already_enabled: 'Puppet is already enabled',
  invalid_input: 'a request input is not acceptable (statuscode 4)',
  not_allowed: "the node's configuration does not allow what was asked",
  spawn_failed: 'a Puppet command could not be started',
  signal_failed: 'the Puppet daemon could not be signalled to run',
  git_failed: 'masterless: git could not fetch or check out the revision',
  governor_full: 'no governor slot came free within plugin.puppet.governor_max_wait',
  governor_failed: 'the governor could not be reached',
  resource_failed: 'the `resource` action could not apply the resource',
} as const satisfies ErrorCodeTable;
export type PuppetErrorCode = keyof typeof PUPPET_ERROR_CODES;

/** Every refusal of the puppet agent: a reply with the message, statuscode 4 for bad input and 1 otherwise. */
export class PuppetAgentError extends ActionFailed {
  override readonly name = 'PuppetAgentError';
  declare readonly code: PuppetErrorCode;
  constructor(code: PuppetErrorCode, message: string) {
    super(message, code === 'invalid_input' ? 4 : 1, {}, code);
  }
}
