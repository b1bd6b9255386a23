// Reading a plan file: YAML, checked against schemas/plan.schema.json and then for what a schema cannot say
// (one kind per step, node sets that exist, assertions that parse). Every error names the path in the file and
// its line.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { ErrorObject } from 'ajv';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import { validatorFor } from '../protocol/index.js';
import { FilterError } from '../filter/index.js';
import { parseAssertion } from './assertion.js';
import { PlanError } from './errors.js';
import { checkInputPattern } from './inputs.js';
import { NODE_KINDS, STEP_KINDS, stepKind, type PlanSpec, type StepSpec } from './model.js';

export interface LoadedPlan {
  spec: PlanSpec;
  /** The plan's name: its `name`, or the file name without extension. */
  name: string;
  file?: string;
  /** SHA-256 of the file's bytes, hex. */
  digest: string;
}

/** Locates JSON-pointer-like paths in the parsed YAML. */
class Locator {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
    private readonly origin: string,
  ) {}

  at(path: readonly (string | number)[], message: string): PlanError {
    const shown = '/' + path.join('/');
    const line = this.lineOf(path);
    return new PlanError('plan_invalid', `${this.origin}${line ? `:${line}` : ''}: ${shown === '/' ? '' : shown + ': '}${message}`);
  }

  private lineOf(path: readonly (string | number)[]): number | undefined {
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? this.doc.contents : this.doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) return this.lines.linePos(node.range[0]).line;
    }
    return undefined;
  }
}

function pathOf(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

/** The most useful of ajv's errors: the deepest one, and a oneOf's branches in words. */
function schemaMessage(e: ErrorObject): string {
  if (e.keyword === 'additionalProperties') return `unknown key '${String(e.params.additionalProperty)}'`;
  if (e.keyword === 'required') return `missing key '${String(e.params.missingProperty)}'`;
  if (e.keyword === 'enum') return `must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
  if (e.keyword === 'propertyNames')
    return `bad name '${String(e.params.propertyName)}' (letters, digits and _, not starting with a digit)`;
  return e.message ?? 'is invalid';
}

/** Values that may take several forms say so in words, rather than through one branch's complaint. */
const FORMS: Record<string, string> = {
  count: 'must be a number of nodes or a percentage such as "20%"',
  positiveCount: 'must be a number of nodes above 0 or a percentage such as "20%"',
  stringList: 'must be a string or a list of strings',
  seconds: 'must be a number of seconds or a template such as "{{ inputs.wait }}"',
};

function pickError(errors: ErrorObject[]): { error: ErrorObject; message: string } {
  // ajv stops at the first failing branch; a oneOf over plain forms reads better as the forms it accepts.
  const depthOf = (e: ErrorObject) => e.instancePath.split('/').length;
  const form = errors
    .filter((e) => e.keyword === 'oneOf' && /definitions\/(\w+)\/oneOf$/.test(e.schemaPath))
    .sort((a, b) => depthOf(b) - depthOf(a))[0];
  if (form) {
    const name = /definitions\/(\w+)\/oneOf$/.exec(form.schemaPath)![1]!;
    if (FORMS[name]) return { error: form, message: FORMS[name] };
  }
  const depth = (e: ErrorObject) => e.instancePath.split('/').length;
  const error = [...errors].sort((a, b) => depth(b) - depth(a) || (a.keyword === 'oneOf' ? 1 : 0) - (b.keyword === 'oneOf' ? 1 : 0))[0]!;
  return { error, message: schemaMessage(error) };
}

export function parsePlan(text: string, origin = 'plan', file?: string): LoadedPlan {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = lines.linePos(e.pos[0]).line;
    throw new PlanError('plan_syntax', `${origin}${line ? `:${line}` : ''}: not valid YAML: ${e.message.split('\n')[0]}`);
  }
  const locate = new Locator(doc, lines, origin);
  const json: unknown = doc.toJS({ maxAliasCount: 100 });
  const validate = validatorFor<PlanSpec>('troupe:plan');
  if (!validate(json)) {
    const { error, message } = pickError(validate.errors ?? []);
    throw locate.at(pathOf(error.instancePath), message);
  }
  checkPlan(json, locate);
  const name = json.name ?? (file ? basename(file).replace(/\.ya?ml$/i, '') : 'plan');
  return { spec: json, name, file, digest: createHash('sha256').update(text).digest('hex') };
}

export function loadPlanFile(file: string): LoadedPlan {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PlanError('plan_unreadable', `cannot read plan ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parsePlan(text, file, file);
}

/** What the schema cannot say. */
function checkPlan(plan: PlanSpec, locate: Locator): void {
  for (const [name, input] of Object.entries(plan.inputs ?? {})) {
    if (input.pattern !== undefined) {
      try {
        checkInputPattern(input.pattern);
      } catch (err) {
        throw locate.at(['inputs', name, 'pattern'], (err as Error).message);
      }
    }
  }
  const sets = new Set(Object.keys(plan.nodes ?? {}));
  const names = new Set<string>();
  for (const list of ['steps', 'on_success', 'on_fail', 'finally'] as const) {
    (plan[list] ?? []).forEach((step, i) => checkStep(step, [list, i], sets, names, locate));
  }
}

function checkAssertion(text: string, at: (string | number)[], locate: Locator): void {
  try {
    // Templates are filled in when the step runs; here each stands for a plain word.
    parseAssertion(text.replace(/\{\{[^}]*\}\}/g, 'x'));
  } catch (err) {
    const detail = err instanceof FilterError ? `${err.message} at character ${err.position + 1} of '${text}'` : (err as Error).message;
    throw locate.at(at, `bad assertion: ${detail}`);
  }
}

function checkStep(step: StepSpec, at: (string | number)[], sets: Set<string>, names: Set<string>, locate: Locator): void {
  const kinds = STEP_KINDS.filter((k) => step[k] !== undefined);
  if (kinds.length !== 1) {
    const what = kinds.length === 0 ? 'has none' : `has ${kinds.join(' and ')}`;
    throw locate.at(at, `step '${step.name}' needs exactly one of ${STEP_KINDS.join(', ')}; it ${what}`);
  }
  if (names.has(step.name)) throw locate.at([...at, 'name'], `step name '${step.name}' is used twice`);
  names.add(step.name);
  const kind = stepKind(step);
  if (NODE_KINDS.has(kind)) {
    if (step.nodes === undefined) throw locate.at(at, `a ${kind} step needs 'nodes' (one of the plan's node sets)`);
    if (!sets.has(step.nodes))
      throw locate.at([...at, 'nodes'], `no node set '${step.nodes}' in 'nodes'${sets.size ? ` (known: ${[...sets].join(', ')})` : ''}`);
  } else {
    for (const key of ['nodes', 'batch', 'budget', 'governor'] as const) {
      if (step[key] !== undefined) throw locate.at([...at, key], `a ${kind} step acts on no nodes; '${key}' does not apply`);
    }
  }
  if (step.batch?.mode === 'window' && Array.isArray(step.batch.size) && step.batch.size.length > 1) {
    throw locate.at([...at, 'batch', 'size'], 'a sliding window has one width; give one size (a canary may go first)');
  }
  if (step.batch?.gate) checkAssertion(step.batch.gate.assert, [...at, 'batch', 'gate', 'assert'], locate);
  if (step.rpc?.assert) checkAssertion(step.rpc.assert, [...at, 'rpc', 'assert'], locate);
  if (step.wait_for) checkAssertion(step.wait_for.assert, [...at, 'wait_for', 'assert'], locate);
}
