// src/plan/: plan files and their errors, inputs and --set, batch arithmetic, failure budgets, assertions, templates.
import { describe, expect, it } from 'vitest';
import {
  batchSizes,
  compileAssertion,
  FailureBudget,
  parsePlan,
  parseSets,
  PlanError,
  resolveInputs,
  splitBatches,
  windowWidth,
} from '../../../src/plan/index.js';
import { render } from '../../../src/plan/template.js';

const ok = `
name: deploy
inputs:
  revision: { type: string, pattern: '^[0-9a-f]{7,40}$' }
  batch: { type: integer, default: 5 }
  noop: { type: boolean, default: false }
  env: { type: string, enum: [prod, staging], default: staging }
nodes:
  web: { filter: { fact: role=web }, at_least: 1 }
steps:
  - name: roll
    nodes: web
    rpc: { agent: rpcutil, action: ping }
`;

function errorOf(text: string): string {
  try {
    parsePlan(text, 'p.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(PlanError);
    return (err as Error).message;
  }
  throw new Error('the plan was accepted');
}

describe('plan files', () => {
  it('loads a valid plan, named by its name, with a digest of its bytes', () => {
    const p = parsePlan(ok, 'p.yaml', 'p.yaml');
    expect(p.name).toBe('deploy');
    expect(p.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(parsePlan(ok + '\n').digest).not.toBe(p.digest);
  });

  it('names the path and the line of an unknown key', () => {
    expect(errorOf('steps:\n  - name: a\n    sleep: 1\n    colour: red\n')).toBe("p.yaml:2: /steps/0: unknown key 'colour'");
  });

  it('names the line of a value of the wrong form', () => {
    const text =
      'nodes:\n  web: {}\nsteps:\n  - name: a\n    nodes: web\n    rpc: { agent: rpcutil, action: ping }\n    batch:\n      size: [1, "ten"]\n';
    expect(errorOf(text)).toBe('p.yaml:8: /steps/0/batch/size/1: must be a number of nodes above 0 or a percentage such as "20%"');
  });

  it('refuses a step with no kind, or two', () => {
    expect(errorOf('steps:\n  - name: a\n')).toMatch(
      /^p\.yaml:2: \/steps\/0: step 'a' needs exactly one of rpc, puppet, wait_for, sleep, message, webhook, plan; it has none$/,
    );
    expect(errorOf('steps:\n  - name: a\n    sleep: 1\n    message: hi\n')).toMatch(/it has sleep and message$/);
  });

  it('refuses a node step on an unknown node set, and node options on a plain step', () => {
    expect(errorOf('nodes:\n  web: {}\nsteps:\n  - name: a\n    nodes: db\n    rpc: { agent: rpcutil, action: ping }\n')).toBe(
      "p.yaml:5: /steps/0/nodes: no node set 'db' in 'nodes' (known: web)",
    );
    expect(errorOf('steps:\n  - name: a\n    rpc: { agent: rpcutil, action: ping }\n')).toMatch(/needs 'nodes'/);
    expect(errorOf('steps:\n  - name: a\n    message: hi\n    batch: { size: 1 }\n')).toMatch(
      /^p\.yaml:4: \/steps\/0\/batch: a message step acts on no nodes/,
    );
  });

  it('refuses a step name used twice, even across handlers', () => {
    expect(errorOf('steps:\n  - name: a\n    sleep: 1\non_fail:\n  - name: a\n    message: x\n')).toBe(
      "p.yaml:5: /on_fail/0/name: step name 'a' is used twice",
    );
  });

  it('refuses an assertion that does not parse, or a bare word, naming the step', () => {
    const plan = (a: string) =>
      `nodes:\n  web: {}\nsteps:\n  - name: a\n    nodes: web\n    wait_for: { agent: puppet, action: status, assert: "${a}" }\n`;
    expect(errorOf(plan('idling=true and'))).toMatch(/^p\.yaml:6: \/steps\/0\/wait_for\/assert: bad assertion: /);
    expect(errorOf(plan('idling'))).toMatch(/'idling' is not a comparison/);
  });

  it('refuses a regex input pattern RE2 cannot run in linear time', () => {
    expect(errorOf("inputs:\n  a: { type: string, pattern: '(?=x)' }\nsteps: []\n")).toMatch(/^p\.yaml:2: \/inputs\/a\/pattern: lookahead/);
  });

  it('reports YAML syntax errors with their line', () => {
    expect(errorOf('steps:\n  - name: a\n   sleep: [\n')).toMatch(/^p\.yaml:\d: not valid YAML/);
  });

  it('a sliding window takes one size', () => {
    expect(
      errorOf(
        'nodes:\n  w: {}\nsteps:\n  - name: a\n    nodes: w\n    rpc: { agent: rpcutil, action: ping }\n    batch: { mode: window, size: [1, 2] }\n',
      ),
    ).toMatch(/sliding window has one width/);
  });
});

describe('inputs', () => {
  const { spec } = parsePlan(ok);

  it('fills defaults and coerces --set strings to the declared types', () => {
    expect(resolveInputs(spec, parseSets(['revision=abc1234', 'batch=10', 'noop=true']))).toEqual({
      revision: 'abc1234',
      batch: 10,
      noop: true,
      env: 'staging',
    });
  });

  it('refuses missing, unknown, mistyped, out-of-enum and non-matching inputs', () => {
    expect(() => resolveInputs(spec, {})).toThrow("input 'revision' is required");
    expect(() => resolveInputs(spec, { revision: 'abc1234', colour: 'red' })).toThrow("the plan has no input 'colour'");
    expect(() => resolveInputs(spec, { revision: 'abc1234', batch: '2.5' })).toThrow("input 'batch': expected a whole number");
    expect(() => resolveInputs(spec, { revision: 'abc1234', noop: 'maybe' })).toThrow("input 'noop': expected true or false");
    expect(() => resolveInputs(spec, { revision: 'abc1234', env: 'qa' })).toThrow('input \'env\': "qa" is not one of "prod", "staging"');
    expect(() => resolveInputs(spec, { revision: 'HEAD' })).toThrow('does not match');
  });

  it('parses --set once per key, values may hold =', () => {
    expect(parseSets(['a=b=c'])).toEqual({ a: 'b=c' });
    expect(() => parseSets(['a=1', 'a=2'])).toThrow('--set a given twice');
    expect(() => parseSets(['=1'])).toThrow('--set expects key=value');
  });
});

describe('batches', () => {
  it('a single count, a percentage, and all at once', () => {
    expect(batchSizes(10, { size: 3 })).toEqual([3, 3, 3, 1]);
    expect(batchSizes(10, { size: '25%' })).toEqual([3, 3, 3, 1]);
    expect(batchSizes(10, undefined)).toEqual([10]);
    expect(batchSizes(0, { size: 3 })).toEqual([]);
  });

  it('a list whose last entry repeats, percentages of all nodes', () => {
    expect(batchSizes(100, { size: [1, 5, '20%'] })).toEqual([1, 5, 20, 20, 20, 20, 14]);
    expect(batchSizes(3, { size: [1, 5, '20%'] })).toEqual([1, 2]);
  });

  it('a canary goes first, then the sizes', () => {
    expect(batchSizes(10, { canary: 1, size: 4 })).toEqual([1, 4, 4, 1]);
    expect(batchSizes(10, { canary: '10%', size: '50%' })).toEqual([1, 5, 4]);
  });

  it('a small percentage never makes an empty batch', () => {
    expect(batchSizes(5, { size: '1%' })).toEqual([1, 1, 1, 1, 1]);
  });

  it('splits nodes by sizes, and a window is as wide as its one size', () => {
    expect(splitBatches(['a', 'b', 'c', 'd'], [1, 2, 1])).toEqual([['a'], ['b', 'c'], ['d']]);
    expect(windowWidth(200, { mode: 'window', size: '5%' })).toBe(10);
    expect(windowWidth(3, { mode: 'window', size: 10 })).toBe(3);
  });
});

describe('failure budgets', () => {
  it('no budget: the first failure stops', () => {
    const b = new FailureBudget(undefined, 10);
    expect(b.afterBatch('b1', 5, [])).toBeUndefined();
    expect(b.afterBatch('b2', 5, ['n6'])?.message).toBe('b2: 1 of 10 failed so far (10%), no failures allowed');
  });

  it('a batch percentage is exceeded only above it', () => {
    const b = new FailureBudget({ batch: '20%' }, 100);
    expect(b.afterBatch('b1', 10, ['a', 'b'])).toBeUndefined();
    const e = b.afterBatch('b2', 10, ['d', 'c', 'e']);
    expect(e?.message).toBe('b2: 3 of 10 failed (30%), over the batch budget of 20%');
    expect(e?.nodes).toEqual(['c', 'd', 'e']);
  });

  it('a batch count', () => {
    const b = new FailureBudget({ batch: 1 }, 100);
    expect(b.afterBatch('b1', 10, ['a'])).toBeUndefined();
    expect(b.afterBatch('b2', 10, ['b', 'c'])).toBeDefined();
  });

  it('a global count or percentage, across batches each within theirs', () => {
    const count = new FailureBudget({ batch: '50%', total: 2 }, 9);
    expect(count.afterBatch('b1', 3, ['a'])).toBeUndefined();
    expect(count.afterBatch('b2', 3, ['b'])).toBeUndefined();
    const e = count.afterBatch('b3', 3, ['c']);
    expect(e?.message).toBe("b3: 3 of 9 failed so far (33.3%), over the step's budget of 2");
    expect(e?.nodes).toEqual(['a', 'b', 'c']);
    const pct = new FailureBudget({ total: '10%' }, 20);
    expect(pct.afterBatch('b1', 10, ['a', 'b'])).toBeUndefined();
    expect(pct.afterBatch('b2', 10, ['c'])).toBeDefined();
  });

  it('a canary may not fail, whatever the budget', () => {
    expect(new FailureBudget({ batch: '50%', total: 5 }, 10).afterBatch('b1', 1, ['a'], true)?.message).toMatch(/canary/);
  });

  it('a sliding window judges the last nodes to finish', () => {
    const b = new FailureBudget({ batch: '50%' }, 10);
    expect(b.afterNode('n1', 'a', { size: 4, failed: ['a'] })).toBeUndefined();
    expect(b.afterNode('n2', 'b', { size: 4, failed: ['a', 'b', 'c'] })?.message).toMatch(/3 of the last 4 failed \(75%\)/);
  });
});

describe('assertions and templates', () => {
  it('reads reply data with the fact comparison rules', () => {
    const a = compileAssertion('idling=true and enabled=true');
    expect(a({ idling: true, enabled: true })).toBe(true);
    expect(a({ idling: false, enabled: true })).toBe(false);
    expect(compileAssertion('lastrun >= 10 and version >= 1.10.0')({ lastrun: 12, version: '1.9.9' })).toBe(false);
    expect(compileAssertion('not status=/^fail/ or count<2')({ status: 'failed', count: 1 })).toBe(true);
    expect(compileAssertion('missing=1')({})).toBe(false);
  });

  it('fills templates, keeping the type of a whole-value one', () => {
    const scope = { inputs: { n: 3, rev: 'abc' }, nodes: { web: ['a', 'b'] } };
    expect(render({ x: '{{ inputs.n }}', y: 'rev {{inputs.rev}} on {{ nodes.web }}' }, scope, 's')).toEqual({ x: 3, y: 'rev abc on a, b' });
    expect(() => render('{{ inputs.nope }}', scope, 'step s')).toThrow('step s: {{ inputs.nope }} names nothing');
  });
});
