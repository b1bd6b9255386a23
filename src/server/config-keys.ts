// The node daemon's own settings: its Prometheus metrics endpoint (server/metrics.ts).
// Declared once here with default and doc; config/keys.ts collects them and the README's table is generated from them.
import type { KeyTable } from '../config/key-spec.js';

export const METRICS_KEYS = {
  metrics_port: {
    type: 'integer',
    min: 0,
    max: 65535,
    default: 0,
    defaultDoc: '0 (off)',
    scope: 'server',
    description:
      'TCP port of the Prometheus metrics endpoint (`GET /metrics`: requests by agent, action and outcome, rejections by reason, action latency, broker connection, registry publishes); 0 turns it off. `mco sim` serves none.',
  },
  metrics_bind: {
    type: 'string',
    default: '127.0.0.1',
    scope: 'server',
    description:
      'Address the metrics endpoint listens on. Anything but a loopback address is refused unless `metrics_allow_remote` is on: the metrics name the agents, actions and rejection reasons of the node, and the endpoint has no authentication.',
  },
  metrics_allow_remote: {
    type: 'boolean',
    default: false,
    scope: 'server',
    description:
      'Let `metrics_bind` be an address other hosts can reach (for a Prometheus server elsewhere); firewall the port to that server.',
  },
} as const satisfies KeyTable;
