import { describe, expect, it } from 'vitest';
import { loadDDLFile, renderDoc } from '../../../src/ddl/index.js';
import { RPCUTIL_DDL_PATH, sampleDDL } from './fixture.js';

describe('renderDoc', () => {
  const doc = renderDoc(loadDDLFile(RPCUTIL_DDL_PATH));
  const lines = doc.split('\n');

  it('opens with the name, its underline, the description and the metadata block', () => {
    expect(lines.slice(0, 11)).toEqual([
      'rpcutil',
      '=======',
      '',
      'General helpful actions that expose stats and internals to RPC clients',
      '',
      '      Author: troupe',
      '     Version: 1.0.0',
      '     License: Apache-2.0',
      '     Timeout: 2',
      '   Home Page: https://github.com/troupe-io/troupe',
      '',
    ]);
  });

  it('lists the actions sorted, then documents each', () => {
    const at = lines.indexOf('ACTIONS:');
    expect(lines[at + 1]).toBe('========');
    expect(lines[at + 2]).toBe('   agent_inventory, collective_info, daemon_stats, get_config_item, get_fact, get_facts, inventory, ping');
    const headings = lines.filter((l) => / action:$/.test(l)).map((l) => l.trim());
    expect(headings).toEqual([
      'agent_inventory action:',
      'collective_info action:',
      'daemon_stats action:',
      'get_config_item action:',
      'get_fact action:',
      'get_facts action:',
      'inventory action:',
      'ping action:',
    ]);
  });

  it('documents an action with its inputs and outputs', () => {
    const start = lines.indexOf('   get_fact action:');
    const end = lines.indexOf('   get_facts action:');
    expect(lines.slice(start, end)).toEqual([
      '   get_fact action:',
      '   ----------------',
      '       Retrieve a single fact from the fact store',
      '',
      '       INPUT:',
      '           fact:',
      '              Description: The fact to retrieve; dots and colons address nested facts',
      '                   Prompt: The name of the fact',
      '                     Type: string',
      '               Validation: ^[\\w\\-\\.:]+$',
      '                   Length: 90',
      '                 Optional: false',
      '',
      '       OUTPUT:',
      '           fact:',
      '              Description: The name of the fact being returned',
      '               Display As: Fact',
      '                     Type: string',
      '',
      '           value:',
      '              Description: The value of the fact',
      '               Display As: Value',
      '',
    ]);
  });

  it('says when an action has no inputs', () => {
    const start = lines.indexOf('   ping action:');
    expect(lines.slice(start + 4, start + 7)).toEqual(['       INPUT:', '           This action does not have any inputs', '']);
    expect(doc.endsWith('Type: integer\n')).toBe(true);
  });

  it('shows list values, optional flags, defaults and additional inputs', () => {
    const sample = renderDoc(sampleDDL());
    expect(sample).toContain('             Valid Values: fast, slow, 3\n');
    expect(sample).toContain('                 Optional: true\n');
    expect(sample).toContain('            Default Value: 1\n');
    expect(sample).toContain('            Default Value: ["x"]\n');
    expect(sample).toContain('           Inputs not declared here are accepted too\n');
    expect(sample).toContain('           This action does not have any outputs\n');
  });
});
