import { fileURLToPath } from 'node:url';
import { parseDDL, type AgentDDL } from '../../../src/ddl/index.js';

export const RPCUTIL_DDL_PATH = fileURLToPath(new URL('../../../src/plugins/agents/rpcutil/rpcutil.ddl.json', import.meta.url));

export const METADATA = {
  name: 'sample',
  description: 'An agent that exercises every input type',
  author: 'troupe',
  license: 'Apache-2.0',
  version: '1.0.0',
  url: 'https://example.org/sample',
  timeout: 5,
};

/** A raw DDL with one action per concern; tests copy and break it. */
export function sampleJSON(): Record<string, any> {
  return {
    metadata: { ...METADATA },
    actions: {
      echo: {
        description: 'Echo the inputs back',
        display: 'always',
        input: {
          message: {
            prompt: 'Message',
            description: 'Text to echo',
            type: 'string',
            validation: '^[a-z ]+$',
            maxlength: 12,
          },
          count: { prompt: 'Count', description: 'Repetitions', type: 'integer', optional: true, default: 1 },
          ratio: { prompt: 'Ratio', description: 'A fraction', type: 'number', optional: true },
          loud: { prompt: 'Loud', description: 'Shout it', type: 'boolean', optional: true },
          mode: { prompt: 'Mode', description: 'How', type: 'list', list: ['fast', 'slow', 3], optional: true },
          options: { prompt: 'Options', description: 'Extra', type: 'hash', optional: true },
          tags: { prompt: 'Tags', description: 'Labels', type: 'array', optional: true, default: ['x'] },
        },
        output: {
          message: { description: 'The echoed text', display_as: 'Message' },
          length: { description: 'Its length', display_as: 'Length', default: 0 },
          note: { description: 'Free text' },
        },
      },
      run: {
        description: 'Run a command safely',
        input: {
          command: { prompt: 'Command', description: 'What to run', type: 'string', validation: 'shellsafe' },
          host: { prompt: 'Host', description: 'Where', type: 'string', validation: 'ipaddress', optional: true },
          v4: { prompt: 'IPv4', description: 'An IPv4 address', type: 'string', validation: 'ipv4address', optional: true },
          v6: { prompt: 'IPv6', description: 'An IPv6 address', type: 'string', validation: 'ipv6address', optional: true },
          flag: { prompt: 'Flag', description: 'A switch', type: 'boolean', validation: 'boolean', optional: true },
        },
        output: { status: { description: 'Exit status', display_as: 'Status' } },
      },
      resource: {
        description: 'Manage a resource with free-form parameters',
        display: 'ok',
        additional_inputs: true,
        input: { type: { prompt: 'Type', description: 'Resource type', type: 'string' } },
        output: {},
      },
      stats: {
        description: 'Numbers to aggregate',
        output: {
          os: { description: 'Operating system', display_as: 'OS' },
          load: { description: 'Load average', display_as: 'Load' },
          enabled: { description: 'Enabled?', display_as: 'Enabled' },
        },
        aggregate: [
          { function: 'summary', args: ['os'] },
          { function: 'average', args: ['load'] },
          { function: 'sum', args: ['load'], format: '%.1f' },
          { function: 'boolean_summary', args: ['enabled', { true: 'on', false: 'off' }] },
        ],
      },
    },
  };
}

export function sampleDDL(): AgentDDL {
  return parseDDL(sampleJSON(), 'sample.ddl.json');
}
