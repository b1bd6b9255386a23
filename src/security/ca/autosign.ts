// autosign.conf: one glob per line (`*.example.com`, `web-??.example.com`, or an exact name); `#` starts a comment.
// Without the file nothing is signed automatically.
import { readFileSync } from 'node:fs';

export function parseAutosign(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.replace(/#.*/, '').trim())
    .filter((l) => l.length > 0);
}

export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

/** The first pattern in the file that matches `name`, or undefined (also when there is no file). */
export function autosignMatch(file: string, name: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  return parseAutosign(text).find((glob) => globToRegExp(glob).test(name));
}
