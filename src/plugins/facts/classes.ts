import fs from 'node:fs';
import { FactsError } from './errors.js';

/**
 * Reads a Puppet classes file: one class per line, trimmed, blank lines skipped. A missing file
 * means no classes (the node has not had a Puppet run yet), not an error.
 */
export function loadClassesFile(file: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new FactsError('FACTS_READ', `${file}: cannot read classes file: ${(err as Error).message}`, {
      file,
      cause: err,
    });
  }
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}
