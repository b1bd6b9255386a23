import { ActionFailed } from '../../../server/agent.js';

export type PuppetErrorCode =
  /** A plugin.puppet.* setting cannot be used. */
  | 'bad_setting'
  /** Puppet's settings could not be read. */
  | 'settings_unavailable'
  | 'disabled'
  | 'applying'
  /** A run requested earlier has not finished yet. */
  | 'run_pending'
  | 'already_disabled'
  | 'already_enabled'
  /** A request input is not acceptable (statuscode 4). */
  | 'invalid_input'
  /** The node's configuration does not allow what was asked. */
  | 'not_allowed'
  | 'spawn_failed'
  | 'signal_failed'
  | 'git_failed'
  /** No governor slot came free within plugin.puppet.governor_max_wait. */
  | 'governor_full'
  /** The governor could not be reached. */
  | 'governor_failed'
  | 'resource_failed';

/** Every refusal of the puppet agent: a reply with the message, statuscode 4 for bad input and 1 otherwise. */
export class PuppetAgentError extends ActionFailed {
  constructor(readonly code: PuppetErrorCode, message: string) {
    super(message, code === 'invalid_input' ? 4 : 1);
  }
}
