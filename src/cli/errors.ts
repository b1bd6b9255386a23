// Every failure reaches the user the same way: `mco: <message>`, the hint indented on the next line, the stack
// only with --debug, and the exit code the error implies.
import { TroupeError } from '../errors.js';
import { FilterError } from '../filter/errors.js';

const INDENT = '     ';
/** Said of errors troupe did not raise on purpose: only the stack can tell what happened. */
const DEBUG_HINT = 'run again with --debug for details';

export function reportError(err: unknown, debug: boolean, write = (s: string) => process.stderr.write(s)): number {
  const e = err instanceof Error ? err : new Error(String(err));
  const [first, ...rest] = linesOf(e, debug);
  write(`mco: ${first}\n${rest.map((line) => `${INDENT}${line}\n`).join('')}`);
  if (debug && e.stack) write(e.stack + '\n');
  return e instanceof TroupeError ? e.exitCode : 1;
}

/** The message, then the hint: what the reader can do about it. */
function linesOf(e: Error, debug: boolean): string[] {
  // A filter shows its text with a caret under the offending character, the message below.
  if (e instanceof FilterError) return [`invalid filter${e.option ? ` in ${e.option}` : ''}:`, ...e.format().split('\n')];
  const hint = e instanceof TroupeError ? e.hint : debug ? undefined : DEBUG_HINT;
  return hint ? [e.message, hint] : [e.message];
}
