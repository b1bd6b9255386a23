// MCollective's ActionPolicy format, one file per agent (`<policydir>/<agent>.policy`):
//
//   # comment
//   policy default deny
//   allow<TAB>cert=ops.troupe admins<TAB>*<TAB>*<TAB>*
//   allow<TAB>*<TAB>status ping<TAB>environment=production<TAB>/^role::web/
//
// Fields: callers (caller ids or group names; `CALLER/USER` matches only requests that CALLER sent on behalf of
// USER, the `on_behalf_of` of a web console's requests, and `CALLER/*` any it sent on someone's behalf), actions, facts (fact filters, all must match, or one compound
// statement), classes (all must be present); `*` matches anything; the classes field may be left out.
// The first matching rule wins; `policy default` decides when none does.
import { TroupeError, type ErrorCodeTable } from '../../errors.js';
import { compileFilter, emptyFilter, parseFactFilter, type NodePredicate } from '../../filter/index.js';

export type Effect = 'allow' | 'deny';

export interface PolicyRule {
  effect: Effect;
  /** '*' or caller ids and group names. */
  callers: '*' | readonly string[];
  actions: '*' | readonly string[];
  facts: '*' | NodePredicate;
  classes: '*' | NodePredicate;
  line: number;
}

export interface Policy {
  defaultEffect: Effect;
  rules: readonly PolicyRule[];
}

export const POLICY_ERROR_CODES = {
  bad_policy: 'an action policy file with a line that cannot be read (the message names file:line)',
} as const satisfies ErrorCodeTable;

export class PolicyError extends TroupeError {
  override readonly name = 'PolicyError';
  declare readonly code: keyof typeof POLICY_ERROR_CODES;
  constructor(
    readonly file: string,
    readonly line: number,
    message: string,
  ) {
    super('bad_policy', `${file}:${line}: ${message}`);
  }
}

const COMPOUND = /(^|\s)(and|or|not)(\s|$)|[()!]/;

function words(field: string): string[] {
  return field.trim().split(/\s+/).filter(Boolean);
}

function factsPredicate(field: string, file: string, line: number): '*' | NodePredicate {
  const text = field.trim();
  if (text === '*') return '*';
  const filter = emptyFilter();
  try {
    if (COMPOUND.test(text)) filter.compound.push(text);
    else filter.fact.push(...words(text).map(parseFactFilter));
    return compileFilter(filter);
  } catch (err) {
    throw new PolicyError(file, line, `bad facts field '${text}': ${(err as Error).message}`);
  }
}

function classesPredicate(field: string | undefined, file: string, line: number): '*' | NodePredicate {
  const text = (field ?? '*').trim();
  if (text === '*' || text === '') return '*';
  const filter = emptyFilter();
  filter.cf_class.push(...words(text));
  try {
    return compileFilter(filter);
  } catch (err) {
    throw new PolicyError(file, line, `bad classes field '${text}': ${(err as Error).message}`);
  }
}

function list(field: string): '*' | string[] {
  const items = words(field);
  return items.length === 1 && items[0] === '*' ? '*' : items;
}

export function parsePolicy(text: string, file = 'policy'): Policy {
  let defaultEffect: Effect = 'deny';
  const rules: PolicyRule[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const content = raw.replace(/\s+$/, '');
    if (content.trim() === '' || content.trim().startsWith('#')) return;
    const policyLine = /^policy\s+default\s+(allow|deny)$/.exec(content.trim());
    if (policyLine) {
      defaultEffect = policyLine[1] as Effect;
      return;
    }
    const fields = content.split(/\t+/);
    const effect = content.trim().split(/\s/)[0];
    if (effect !== 'allow' && effect !== 'deny') {
      throw new PolicyError(
        file,
        line,
        `expected 'policy default allow|deny' or a rule starting with allow or deny, got '${content.trim().slice(0, 40)}'`,
      );
    }
    if (!content.includes('\t')) {
      throw new PolicyError(
        file,
        line,
        'the fields of a rule are tab-separated (allow|deny, callers, actions, facts[, classes]); this line has no tab',
      );
    }
    if (fields.length < 4 || fields.length > 5 || fields[0]!.trim() !== effect) {
      throw new PolicyError(
        file,
        line,
        `a rule has 4 or 5 tab-separated fields (allow|deny, callers, actions, facts[, classes]); found ${fields.length}`,
      );
    }
    rules.push({
      effect,
      callers: list(fields[1]!),
      actions: list(fields[2]!),
      facts: factsPredicate(fields[3]!, file, line),
      classes: classesPredicate(fields[4], file, line),
      line,
    });
  });
  return { defaultEffect, rules };
}

/** The groups file: `groupname member member…` per line; `#` comments. */
export function parseGroups(text: string): Map<string, Set<string>> {
  const groups = new Map<string, Set<string>>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const [name, ...members] = line.split(/\s+/);
    groups.set(name!, new Set([...(groups.get(name!) ?? []), ...members]));
  }
  return groups;
}
