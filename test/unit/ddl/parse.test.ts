import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { DDLError, loadDDLFile, parseDDL } from '../../../src/ddl/index.js';
import { RPCUTIL_DDL_PATH, sampleJSON } from './fixture.js';

function parseError(json: unknown, origin = 'broken.ddl.json'): DDLError {
  try {
    parseDDL(json, origin);
  } catch (err) {
    expect(err).toBeInstanceOf(DDLError);
    return err as DDLError;
  }
  throw new Error('parseDDL accepted a broken DDL');
}

describe('rpcutil DDL', () => {
  const ddl = loadDDLFile(RPCUTIL_DDL_PATH);

  it('passes the meta-schema with a 2 second timeout', () => {
    expect(ddl.metadata.name).toBe('rpcutil');
    expect(ddl.metadata.timeout).toBe(2);
  });

  it('declares the MCollective actions, all displayed always', () => {
    expect(Object.keys(ddl.actions).sort()).toEqual([
      'agent_inventory',
      'collective_info',
      'daemon_stats',
      'get_config_item',
      'get_fact',
      'get_facts',
      'inventory',
      'ping',
    ]);
    for (const action of Object.values(ddl.actions)) expect(action.display).toBe('always');
  });

  it('carries the summaries MCollective prints', () => {
    const summaries = (action: string) => ddl.actions[action]!.aggregate.map((a) => `${a.function}(${a.args[0]})`);
    expect(summaries('get_fact')).toEqual(['summary(value)']);
    expect(summaries('get_config_item')).toEqual(['summary(value)']);
    expect(summaries('collective_info')).toEqual(['summary(collectives)']);
    expect(summaries('daemon_stats')).toContain('summary(version)');
  });

  it('declares the daemon counters as daemon_stats outputs', () => {
    const outputs = Object.keys(ddl.actions['daemon_stats']!.output);
    for (const key of ['total', 'validated', 'unvalidated', 'filtered', 'passed', 'replies', 'ttlexpired', 'rejected']) {
      expect(outputs).toContain(key);
    }
  });

  it('describes the get_fact input as in the brief', () => {
    const fact = ddl.actions['get_fact']!.input['fact']!;
    expect(fact).toMatchObject({ type: 'string', validation: '^[\\w\\-\\.:]+$', maxlength: 90, optional: false });
    expect(ddl.actions['get_config_item']!.input['item']).toMatchObject({ validation: '^.+$', maxlength: 120 });
  });
});

describe('parseDDL', () => {
  it('normalises defaults: display failed, optional false, display_as from the name, empty maps', () => {
    const json = sampleJSON();
    const ddl = parseDDL(json);
    expect(ddl.actions['run']!.display).toBe('failed');
    expect(ddl.actions['echo']!.input['message']!.optional).toBe(false);
    expect(ddl.actions['echo']!.output['note']!.display_as).toBe('note');
    expect(ddl.actions['echo']!.additional_inputs).toBe(false);
    expect(ddl.actions['echo']!.aggregate).toEqual([]);
    expect(ddl.actions['resource']!.additional_inputs).toBe(true);
  });

  it('returns a frozen copy that shares nothing with the input', () => {
    const json = sampleJSON();
    const ddl = parseDDL(json);
    expect(Object.isFrozen(ddl.actions['echo']!.input['mode']!.list)).toBe(true);
    expect(Object.isFrozen(json['actions'].echo.input.mode.list)).toBe(false);
    json['actions'].echo.description = 'changed';
    expect(ddl.actions['echo']!.description).toBe('Echo the inputs back');
  });

  it('treats a null input default as no default (Choria DDLs)', () => {
    const json = sampleJSON();
    json['actions'].echo.input.message.default = null;
    const ddl = parseDDL(json);
    expect('default' in ddl.actions['echo']!.input['message']!).toBe(false);
  });

  it('takes a Choria-style format from the aggregate options', () => {
    const json = sampleJSON();
    json['actions'].stats.aggregate = [{ function: 'average', args: ['load', { format: '%.3f' }] }];
    expect(parseDDL(json).actions['stats']!.aggregate[0]!.format).toBe('%.3f');
  });

  it('accepts a $schema key', () => {
    expect(() => parseDDL({ $schema: 'troupe:ddl', ...sampleJSON() })).not.toThrow();
  });

  const broken: Array<[string, (json: Record<string, any>) => void, RegExp]> = [
    ['missing metadata', (j) => delete j['metadata'], /\/: missing required key 'metadata'/],
    ['missing timeout', (j) => delete j['metadata'].timeout, /\/metadata: missing required key 'timeout'/],
    ['zero timeout', (j) => (j['metadata'].timeout = 0), /\/metadata\/timeout: must be > 0/],
    ['no actions', (j) => (j['actions'] = {}), /\/actions: must NOT have fewer than 1 properties/],
    ['bad action name', (j) => (j['actions']['Bad-Name'] = { description: 'x' }), /\/actions: invalid name 'Bad-Name'/],
    ['unknown action key', (j) => (j['actions'].echo.colour = 'red'), /\/actions\/echo: unknown key 'colour'/],
    ['bad display', (j) => (j['actions'].echo.display = 'never'), /\/actions\/echo\/display: must be one of ok, failed, always/],
    [
      'unknown input type',
      (j) => (j['actions'].echo.input.count.type = 'float'),
      /\/actions\/echo\/input\/count\/type: must be one of string, integer/,
    ],
    [
      'input without prompt',
      (j) => delete j['actions'].echo.input.count.prompt,
      /\/actions\/echo\/input\/count: missing required key 'prompt'/,
    ],
    ['list without list', (j) => delete j['actions'].echo.input.mode.list, /\/actions\/echo\/input\/mode: missing required key 'list'/],
    [
      'negative maxlength',
      (j) => (j['actions'].echo.input.message.maxlength = -1),
      /\/actions\/echo\/input\/message\/maxlength: must be >= 0/,
    ],
    [
      'output without description',
      (j) => delete j['actions'].echo.output.message.description,
      /\/actions\/echo\/output\/message: missing required key 'description'/,
    ],
    [
      'unknown aggregate function',
      (j) => (j['actions'].stats.aggregate[0].function = 'median'),
      /\/actions\/stats\/aggregate\/0\/function: must be one of summary/,
    ],
    [
      'aggregate without args',
      (j) => (j['actions'].stats.aggregate[0].args = []),
      /\/actions\/stats\/aggregate\/0\/args: must NOT have fewer than 1 items/,
    ],
    [
      'aggregate of an undeclared output',
      (j) => (j['actions'].stats.aggregate[0].args = ['nope']),
      /\/actions\/stats\/aggregate\/0\/args\/0: 'nope' is not a declared output/,
    ],
    [
      'aggregate options first',
      (j) => (j['actions'].stats.aggregate[0].args = [{ true: 'x' }]),
      /\/actions\/stats\/aggregate\/0\/args\/0: must name an output/,
    ],
    [
      'invalid regex',
      (j) => (j['actions'].echo.input.message.validation = '^[a-z'),
      /\/actions\/echo\/input\/message\/validation: not a valid regular expression/,
    ],
    [
      'list on a string input',
      (j) => (j['actions'].echo.input.message.list = ['a']),
      /\/actions\/echo\/input\/message\/list: only a 'list' input takes a list/,
    ],
    [
      'default of the wrong type',
      (j) => (j['actions'].echo.input.count.default = 'one'),
      /\/actions\/echo\/input\/count\/default: Input 'count' should be an integer/,
    ],
    [
      'default outside the list',
      (j) => (j['actions'].echo.input.mode.default = 'medium'),
      /\/actions\/echo\/input\/mode\/default: Input 'mode' should be one of fast, slow, 3/,
    ],
    [
      'default failing its regex',
      (j) => (j['actions'].echo.input.message.default = 'ABC'),
      /\/actions\/echo\/input\/message\/default: Input 'message' does not match/,
    ],
  ];

  for (const [what, breakIt, message] of broken) {
    it(`rejects a DDL with ${what}, naming origin and path`, () => {
      const json = sampleJSON();
      breakIt(json);
      const err = parseError(json);
      expect(err.code).toBe('DDL_INVALID');
      expect(err.message).toMatch(/^Invalid DDL broken\.ddl\.json: /);
      expect(err.message).toMatch(message);
    });
  }

  it('names the agent when no origin is given', () => {
    const json = sampleJSON();
    json['actions'].echo.display = 'never';
    expect(() => parseDDL(json)).toThrow(/^Invalid DDL 'sample': /);
    expect(() => parseDDL(42)).toThrow(/^Invalid DDL \(unnamed\): \/: must be object/);
  });
});

describe('loadDDLFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'troupe-ddl-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads a file and reports the path in errors', () => {
    const good = join(dir, 'sample.ddl.json');
    writeFileSync(good, JSON.stringify(sampleJSON()));
    expect(loadDDLFile(good).metadata.name).toBe('sample');

    const json = sampleJSON();
    delete json['metadata'].author;
    const bad = join(dir, 'bad.ddl.json');
    writeFileSync(bad, JSON.stringify(json));
    expect(() => loadDDLFile(bad)).toThrow(`Invalid DDL ${bad}: /metadata: missing required key 'author'`);
  });

  it('throws DDL_NOT_FOUND for a missing file', () => {
    const missing = join(dir, 'missing.ddl.json');
    expect(() => loadDDLFile(missing)).toThrow(expect.objectContaining({ code: 'DDL_NOT_FOUND' }));
  });

  it('throws DDL_INVALID for a file that is not JSON', () => {
    const notJSON = join(dir, 'text.ddl.json');
    writeFileSync(notJSON, 'metadata :name => "x"');
    expect(() => loadDDLFile(notJSON)).toThrow(
      expect.objectContaining({ code: 'DDL_INVALID', message: expect.stringContaining('not JSON') as string }),
    );
  });
});

describe('schemas/ddl.schema.json', () => {
  it('compiles in a strict ajv registry beside the other schemas', () => {
    const schema = JSON.parse(readFileSync(new URL('../../../schemas/ddl.schema.json', import.meta.url), 'utf8')) as Record<
      string,
      unknown
    >;
    const ajv = new Ajv({ strict: true, allowUnionTypes: true });
    ajv.addSchema(schema);
    const validate = ajv.getSchema('troupe:ddl')!;
    expect(validate(JSON.parse(readFileSync(RPCUTIL_DDL_PATH, 'utf8')))).toBe(true);
    expect(validate({ metadata: {}, actions: {} })).toBe(false);
  });
});
