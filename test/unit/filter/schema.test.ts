import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { buildFilter, emptyFilter, MAX_ENTRIES, MAX_FACT_NAME_LENGTH, MAX_TEXT_LENGTH } from '../../../src/filter/index.js';

const schemaPath = fileURLToPath(new URL('../../../schemas/filter.schema.json', import.meta.url));
interface SchemaNode {
  maxItems?: number;
  maxLength?: number;
  items?: SchemaNode;
  properties?: Record<string, SchemaNode>;
}
const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as SchemaNode & { $id: string; definitions: Record<string, SchemaNode> };
const validate = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(schema);

describe('schemas/filter.schema.json', () => {
  it('is identified as troupe:filter', () => {
    expect(schema.$id).toBe('troupe:filter');
  });

  it.each([
    ['empty', emptyFilter()],
    [
      'built from every option',
      buildFilter({
        facts: ['cpus>=4', 'kernel=/lin/i'],
        classes: ['apache'],
        identities: ['/^web/'],
        agents: ['puppet'],
        selects: ['a or not b'],
        withs: ['ntp os.family=RedHat'],
      }),
    ],
    ['quoted empty value', { ...emptyFilter(), fact: [{ fact: 'x', operator: '==', value: '' }] }],
  ])('accepts %s', (_name, filter) => {
    expect(validate(filter), JSON.stringify(validate.errors)).toBe(true);
  });

  it.each([
    ['a missing kind', { fact: [], cf_class: [], agent: [], identity: [] }],
    ['an unknown kind', { ...emptyFilter(), data: [] }],
    ['an unknown operator', { ...emptyFilter(), fact: [{ fact: 'a', operator: '=', value: '1' }] }],
    ['an extra fact field', { ...emptyFilter(), fact: [{ fact: 'a', operator: '==', value: '1', x: 1 }] }],
    ['a bad fact name', { ...emptyFilter(), fact: [{ fact: 'a b', operator: '==', value: '1' }] }],
    ['an empty class', { ...emptyFilter(), cf_class: [''] }],
    ['a number as identity', { ...emptyFilter(), identity: [1] }],
    ['an overlong compound', { ...emptyFilter(), compound: ['a'.repeat(MAX_TEXT_LENGTH + 1)] }],
  ])('rejects %s', (_name, filter) => {
    expect(validate(filter)).toBe(false);
  });

  it('states the same limits as the code', () => {
    const p = schema.properties!;
    for (const kind of ['fact', 'cf_class', 'agent', 'identity', 'compound']) {
      expect(p[kind]!.maxItems).toBe(MAX_ENTRIES);
    }
    expect(p.compound!.items!.maxLength).toBe(MAX_TEXT_LENGTH);
    expect(schema.definitions.nameOrPattern!.maxLength).toBe(MAX_TEXT_LENGTH);
    expect(schema.definitions.factFilter!.properties!.fact!.maxLength).toBe(MAX_FACT_NAME_LENGTH);
    expect(schema.definitions.factFilter!.properties!.value!.maxLength).toBe(MAX_TEXT_LENGTH);
  });
});
