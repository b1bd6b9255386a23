// Data plugin DDLs (validated by their meta-schema), their documentation, and the client's checks before sending.
import { describe, expect, it } from 'vitest';
import { runPluginDoc } from '../../../src/client/apps/plugin-doc.js';
import { DISCOVERY_METHODS, filterKindsOf } from '../../../src/client/discovery/index.js';
import { checkDataCalls } from '../../../src/client/request.js';
import { renderPluginDoc } from '../../../src/client/render/plugin-doc.js';
import { DataDDLRepository, DDLError, parseDataDDL, renderDataDoc } from '../../../src/ddl/index.js';
import { buildFilter, FilterError, type Filter } from '../../../src/filter/index.js';
import { BUILTIN_DATA_DIR } from '../../../src/plugins/data/index.js';
import { DDLRepository } from '../../../src/ddl/repository.js';
import { BUILTIN_AGENT_DIR } from '../../../src/plugins/agents/index.js';
import { thrown } from '../../helpers/errors.js';

const dataDDLs = new DataDDLRepository([BUILTIN_DATA_DIR]);
const valid = {
  metadata: { name: 'demo', description: 'Demo', author: 't', license: 'Apache-2.0', version: '1', url: '', timeout: 1 },
  dataquery: { description: 'Demo', output: { up: { description: 'Up' } } },
};
const select = (...selects: string[]): Filter => buildFilter({ facts: [], classes: [], identities: [], agents: [], selects, withs: [] });

describe('data plugin DDLs', () => {
  it('the built-in ones load and pass the meta-schema', () => {
    expect(dataDDLs.names()).toEqual(['agent', 'fact', 'puppet', 'resource']);
    expect(Object.keys(dataDDLs.find('puppet')!.dataquery.output).sort()).toEqual([
      'applying',
      'daemon_present',
      'disable_message',
      'enabled',
      'idling',
      'lastrun',
      'since_lastrun',
      'status',
    ]);
    expect(dataDDLs.find('puppet')!.dataquery.output.since_lastrun!.default).toBe(-1);
    expect(dataDDLs.find('nosuch')).toBeUndefined();
    expect(dataDDLs.find('../agents')).toBeUndefined();
  });

  it.each([
    [{ ...valid, dataquery: { description: 'x', output: {} } }, '/dataquery/output'],
    [{ ...valid, dataquery: { description: 'x' } }, "missing required key 'output'"],
    [{ ...valid, actions: {} }, "unknown key 'actions'"],
    [{ ...valid, metadata: { ...valid.metadata, name: 'Demo' } }, '/metadata/name'],
    [{ ...valid, metadata: { ...valid.metadata, timeout: 60 } }, '/metadata/timeout'],
    [
      {
        ...valid,
        dataquery: {
          ...valid.dataquery,
          input: { a: { prompt: 'a', description: 'a', type: 'string' }, b: { prompt: 'b', description: 'b', type: 'string' } },
        },
      },
      '/dataquery/input',
    ],
    [
      { ...valid, dataquery: { ...valid.dataquery, input: { a: { prompt: 'a', description: 'a', type: 'integer' } } } },
      '/dataquery/input/a/type',
    ],
    [
      { ...valid, dataquery: { ...valid.dataquery, input: { a: { prompt: 'a', description: 'a', type: 'string', validation: '(' } } } },
      'validation',
    ],
  ])('refuses a broken DDL (%#): %s', (json, where) => {
    const e = thrown(DDLError, () => parseDataDDL(json));
    expect(e.code).toBe('DDL_INVALID');
    expect(e.message).toContain(where);
  });

  it('mco plugin doc lists the data plugins and shows one with data/NAME', () => {
    const session = { ddls: new DDLRepository([BUILTIN_AGENT_DIR]), dataDDLs };
    const list = renderPluginDoc(runPluginDoc(session));
    expect(list).toContain('Data Queries');
    expect(list).toMatch(/ {2}puppet {16}Information about Puppet agent state/);
    const doc = runPluginDoc(session, 'data/puppet');
    expect(doc.kind).toBe('data');
    const text = renderPluginDoc(doc);
    expect(text).toBe(renderDataDoc(dataDDLs.find('puppet')!));
    expect(text).toContain('QUERY FUNCTION OUTPUT:');
    expect(text).toMatch(/ {11}idling:\n {14}Description: Is the daemon running but not applying a catalog/);
    expect(text).toContain('This plugin does not take any input');
    expect(renderPluginDoc(runPluginDoc(session, 'data/fact'))).toMatch(/query:\n\s+Description: The fact to look up/);
    expect(() => runPluginDoc(session, 'data/nosuch')).toThrow(/unknown data plugin/);
    expect(runPluginDoc(session, 'puppet').kind).toBe('doc');
  });
});

describe('the client checks data calls before sending anything', () => {
  const session = { dataDDLs };

  it('against the DDLs, attributed to -S with a caret', () => {
    const e = thrown(FilterError, () => checkDataCalls(session, select('role=web', 'puppet().enabld=false'), 'mc'));
    expect(e.code).toBe('FILTER_UNKNOWN_DATA_FIELD');
    expect(e.format()).toBe(
      [
        'puppet().enabld=false',
        '         ^^^^^^',
        "-S: data plugin 'puppet' has no field 'enabld' (fields: applying, daemon_present, disable_message, enabled, idling, lastrun, since_lastrun, status)",
      ].join('\n'),
    );
    expect(() => checkDataCalls(session, select('puppet().enabled=false and role=web'), 'mc')).not.toThrow();
    expect(() => checkDataCalls(session, select("fact('os.family').value=Debian"), 'broadcast')).not.toThrow();
  });

  it('only broadcast discovery can evaluate them: registry and flatfile say so', () => {
    expect(filterKindsOf(select('puppet().enabled=false'))).toEqual(['compound', 'data']);
    expect(filterKindsOf(select('role=web'))).toEqual(['compound']);
    expect(DISCOVERY_METHODS.supports('mc', 'data')).toBe(true);
    for (const method of ['registry', 'flatfile']) {
      const e = thrown(FilterError, () => checkDataCalls(session, select('puppet().enabled=false'), method));
      expect(e.code).toBe('FILTER_DATA_UNSUPPORTED');
      expect(e.message).toBe(
        `${method} discovery cannot evaluate data plugin calls such as puppet() or fact('…'): only the nodes can; use --dm mc`,
      );
    }
    expect(() => checkDataCalls(session, select('role=web'), 'registry')).not.toThrow();
  });

  it('a session without data DDLs checks only syntax and the method', () => {
    expect(() => checkDataCalls({}, select('nosuch().x=1'), 'mc')).not.toThrow();
    expect(() => checkDataCalls({}, select('nosuch().x=1'), 'registry')).toThrow(FilterError);
  });
});
