// autosign.conf, with Puppet's rules: one entry per line, either an exact certificate name or a domain glob
// `*.example.com` (`*` only as the whole leftmost label, standing for one or more labels); a lone `*` matches
// every name. `#` starts a comment. Any other use of `*` or `?` is not a pattern and matches nothing.
// Without the file nothing is signed automatically; names that would act as operators never are (see authority.ts).
import { readFileSync } from 'node:fs';

export interface AutosignRules {
  entries: string[];
  /** Lines that are not a name or a domain glob, ignored. */
  invalid: string[];
}

export function parseAutosign(text: string): AutosignRules {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.replace(/#.*/, '').trim().toLowerCase())
    .filter((l) => l.length > 0);
  const valid = (l: string) => l === '*' || /^(\*\.)?[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(l);
  return { entries: lines.filter(valid), invalid: lines.filter((l) => !valid(l)) };
}

/** True when the autosign entry covers `name`. */
export function autosignEntryMatches(entry: string, name: string): boolean {
  if (entry === '*') return true;
  if (entry.startsWith('*.')) return name.endsWith(entry.slice(1)) && name.length > entry.length - 1;
  return entry === name;
}

/** The first entry in the file that matches `name`, or undefined (also when there is no file). */
export function autosignMatch(file: string, name: string, onInvalid?: (line: string) => void): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const rules = parseAutosign(text);
  for (const line of rules.invalid) onInvalid?.(line);
  return rules.entries.find((entry) => autosignEntryMatches(entry, name));
}
