import { describe, expect, it } from 'vitest';
import {
  aggregate,
  createAggregator,
  loadDDLFile,
  parseDDL,
  printf,
  renderAggregate,
  type AggregateResult,
} from '../../../src/ddl/index.js';
import { RPCUTIL_DDL_PATH, sampleDDL, sampleJSON } from './fixture.js';

const ddl = sampleDDL();

function byFunction(results: AggregateResult[], fn: string): AggregateResult {
  const found = results.find((r) => r.function === fn);
  if (!found) throw new Error(`no ${fn} result`);
  return found;
}

describe('aggregate', () => {
  const replies = [
    { os: 'Debian', load: 1.5, enabled: true },
    { os: 'RedHat', load: '0.5', enabled: 'false' },
    { os: 'Debian', load: 'n/a', enabled: false },
    { os: ['Debian', 'Alpine'], enabled: true },
    { os: null, load: 4 },
    { os: 7, load: null, enabled: 'maybe' },
    {},
  ];
  const results = aggregate(ddl, 'stats', replies);

  it('returns one result per declared aggregate, in order', () => {
    expect(results.map((r) => `${r.function}(${r.field})`)).toEqual([
      'summary(os)',
      'average(load)',
      'sum(load)',
      'boolean_summary(enabled)',
    ]);
  });

  it('summary counts each value, array elements one by one, sorted by count then value', () => {
    expect(byFunction(results, 'summary')).toEqual({
      function: 'summary',
      field: 'os',
      displayAs: 'OS',
      kind: 'collection',
      value: [
        ['Debian', 3],
        ['7', 1],
        ['Alpine', 1],
        ['RedHat', 1],
      ],
      count: 5,
    });
  });

  it('average and sum use numbers and numeric strings and skip the rest', () => {
    expect(byFunction(results, 'average')).toMatchObject({ kind: 'numeric', value: 2, count: 3, displayAs: 'Load' });
    expect(byFunction(results, 'sum')).toMatchObject({ kind: 'numeric', value: 6, count: 3, format: '%.1f' });
  });

  it('boolean_summary counts true and false under the DDL labels', () => {
    expect(byFunction(results, 'boolean_summary')).toMatchObject({
      kind: 'collection',
      value: [
        ['off', 2],
        ['on', 2],
      ],
      count: 4,
    });
  });

  it('boolean_summary defaults its labels to True and False', () => {
    const json = sampleJSON();
    json['actions'].stats.aggregate = [{ function: 'boolean_summary', args: ['enabled'] }];
    const [result] = aggregate(parseDDL(json), 'stats', [{ enabled: true }, { enabled: true }, { enabled: false }]);
    expect(result!.value).toEqual([
      ['True', 2],
      ['False', 1],
    ]);
  });

  it('summarises structured values by their JSON text', () => {
    const [result] = aggregate(ddl, 'stats', [{ os: { name: 'Debian' } }, { os: { name: 'Debian' } }]);
    expect(result!.value).toEqual([['{"name":"Debian"}', 2]]);
  });

  it('reports nothing computed when no reply carries a value', () => {
    const empty = aggregate(ddl, 'stats', []);
    expect(empty.map((r) => r.count)).toEqual([0, 0, 0, 0]);
    expect(byFunction(empty, 'average').value).toBe(0);
  });

  it('returns no results for an action without aggregates', () => {
    expect(aggregate(ddl, 'echo', [{ message: 'x' }])).toEqual([]);
  });

  it('throws UNKNOWN_ACTION for an unknown action', () => {
    expect(() => aggregate(ddl, 'explode', [])).toThrow(expect.objectContaining({ code: 'UNKNOWN_ACTION' }));
  });

  it('streams 50 000 replies from a generator', () => {
    function* fleet() {
      for (let i = 0; i < 50_000; i++) yield { os: i % 10 === 0 ? 'RedHat' : 'Debian', load: i % 4, enabled: i % 2 === 0 };
    }
    const streamed = aggregate(ddl, 'stats', fleet());
    expect(byFunction(streamed, 'summary').value).toEqual([
      ['Debian', 45_000],
      ['RedHat', 5_000],
    ]);
    expect(byFunction(streamed, 'average').value).toBe(1.5);
    expect(byFunction(streamed, 'sum').value).toBe(75_000);
  });

  it('createAggregator folds replies as they arrive', () => {
    const aggregator = createAggregator(ddl, 'stats');
    aggregator.add({ os: 'Debian', load: 2 });
    expect(byFunction(aggregator.results(), 'average').value).toBe(2);
    aggregator.add({ os: 'Debian', load: 4 });
    expect(byFunction(aggregator.results(), 'average').value).toBe(3);
    expect(byFunction(aggregator.results(), 'summary').value).toEqual([['Debian', 2]]);
  });

  it('summarises rpcutil get_fact values', () => {
    const rpcutil = loadDDLFile(RPCUTIL_DDL_PATH);
    const [result] = aggregate(rpcutil, 'get_fact', [{ value: 'bookworm' }, { value: 'bookworm' }, { value: 'jammy' }]);
    expect(result).toMatchObject({
      displayAs: 'Value',
      value: [
        ['bookworm', 2],
        ['jammy', 1],
      ],
    });
  });
});

describe('renderAggregate', () => {
  const collection: AggregateResult = {
    function: 'summary',
    field: 'os',
    displayAs: 'Operating System',
    kind: 'collection',
    value: [
      ['Debian', 12],
      ['RedHat', 3],
      ['Alpine Linux', 1],
    ],
    count: 16,
  };

  it('prints a collection with right-aligned keys', () => {
    expect(renderAggregate(collection)).toEqual([
      'Summary of Operating System:',
      '',
      '         Debian = 12',
      '         RedHat = 3',
      '   Alpine Linux = 1',
    ]);
  });

  it('formats the counts with a one-conversion format', () => {
    expect(renderAggregate({ ...collection, format: '%3d' }).slice(2)).toEqual([
      '         Debian =  12',
      '         RedHat =   3',
      '   Alpine Linux =   1',
    ]);
  });

  it('uses a two-conversion format as the whole line', () => {
    expect(renderAggregate({ ...collection, format: '%s: %d' }).slice(2)).toEqual(['   Debian: 12', '   RedHat: 3', '   Alpine Linux: 1']);
  });

  it('prints averages with two decimals and sums as they are', () => {
    const average: AggregateResult = { function: 'average', field: 'load', displayAs: 'Load', kind: 'numeric', value: 12.3456, count: 3 };
    expect(renderAggregate(average)).toEqual(['Summary of Load:', '', '   Average: 12.35']);
    const sum: AggregateResult = { ...average, function: 'sum', value: 10 };
    expect(renderAggregate(sum)).toEqual(['Summary of Load:', '', '   Sum: 10']);
    expect(renderAggregate({ ...sum, value: 2.5 })).toEqual(['Summary of Load:', '', '   Sum: 2.50']);
  });

  it('applies a numeric format to the number, or as the whole line when it has text', () => {
    const average: AggregateResult = { function: 'average', field: 'load', displayAs: 'Load', kind: 'numeric', value: 2, count: 1 };
    expect(renderAggregate({ ...average, format: '%0.2f' })[2]).toBe('   Average: 2.00');
    expect(renderAggregate({ ...average, format: '%d' })[2]).toBe('   Average: 2');
    expect(renderAggregate({ ...average, format: 'Mean load: %.1f' })[2]).toBe('   Mean load: 2.0');
  });

  it('says when nothing could be computed', () => {
    expect(renderAggregate({ ...collection, value: [], count: 0 })).toEqual([
      'Summary of Operating System:',
      '',
      '   No aggregate summary could be computed',
    ]);
    expect(renderAggregate({ function: 'average', field: 'load', displayAs: 'Load', kind: 'numeric', value: 0, count: 0 })[2]).toBe(
      '   No aggregate summary could be computed',
    );
  });
});

describe('printf', () => {
  it('handles the conversions DDL formats use', () => {
    expect(printf('%d', 12.7)).toBe('12');
    expect(printf('%s', 'x')).toBe('x');
    expect(printf('%.2f', 3.14159)).toBe('3.14');
    expect(printf('%0.2f', 3)).toBe('3.00');
    expect(printf('%f', 1.5)).toBe('1.500000');
    expect(printf('%5d|%-5s|%05.1f', 42, 'ab', 3.14159)).toBe('   42|ab   |003.1');
    expect(printf('%+d %d%%', 5, 50)).toBe('+5 50%');
  });
});
