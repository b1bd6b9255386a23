// The `mco` side of the client composition (client/context.ts): the terminal as output, warnings on stderr.
import type { Config } from '../config/index.js';
import { ClientContext } from '../client/context.js';
import type { Output } from '../client/session.js';

export { clientConfig, clientDefaults } from '../client/context.js';

export class CliSession extends ClientContext {
  constructor(config: Config, out: Output = process.stdout, err: Output = process.stderr) {
    super(config, { name: 'mco', out, err, warn: (line) => err.write(`mco: ${line}\n`) });
  }
}
