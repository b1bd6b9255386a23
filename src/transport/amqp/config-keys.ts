// The RabbitMQ connector's settings (connector = amqp).
// Declared once here with default and doc; config/keys.ts collects them and the README's table is generated from them.
import type { KeyTable } from '../../config/key-spec.js';

export const AMQP_KEYS = {
  'plugin.amqp.vhost': {
    type: 'string',
    default: '/',
    scope: 'both',
    description: 'RabbitMQ virtual host (a vhost in the URL path wins).',
  },
  'plugin.amqp.user': {
    type: 'string',
    default: 'guest',
    scope: 'both',
    description: 'RabbitMQ user name (a user in the URL wins).',
  },
  'plugin.amqp.password': {
    type: 'string',
    default: 'guest',
    secret: true,
    scope: 'both',
    description: 'RabbitMQ password (a password in the URL wins).',
  },
  'plugin.amqp.heartbeat': {
    type: 'integer',
    min: 0,
    default: 30,
    scope: 'both',
    description: 'Seconds between AMQP heartbeats, by which a dead broker or peer is noticed; 0 turns them off.',
  },
  'plugin.amqp.connect_timeout': {
    type: 'number',
    min: 0,
    default: 5,
    scope: 'both',
    description: 'Seconds to wait for a RabbitMQ connection (TCP and handshake) before trying the next host.',
  },
  'plugin.amqp.max_reconnect_wait': {
    type: 'number',
    min: 0,
    default: 5,
    scope: 'both',
    description: 'Ceiling in seconds of the back-off between RabbitMQ reconnect attempts.',
  },
  'plugin.amqp.message_ttl': {
    type: 'integer',
    min: 1,
    default: 60,
    scope: 'server',
    description: "Seconds a request may wait in a node's RabbitMQ queue before the broker drops it.",
  },
  'plugin.amqp.max_queue_length': {
    type: 'integer',
    min: 1,
    default: 1000,
    scope: 'server',
    description: "Requests a node's RabbitMQ queue holds at most; beyond it the oldest are dropped.",
  },
} as const satisfies KeyTable;
