// Registry helpers for the integration tests.
export { registryCount, waitForRegistry } from '../../../src/devkit/registry.js';

import { waitFor } from '../../helpers/wait.js';

/** Polls `probe` until it returns true; throws naming `what` after `timeoutMs`. */
export async function eventually(what: string, probe: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  await waitFor(what, probe, timeoutMs, 200);
}
