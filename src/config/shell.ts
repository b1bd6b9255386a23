// Commands as troupe shows them (in replies, summaries, logs and hints): quoted so that pasting one into a POSIX
// shell runs exactly the words it names. The one quoting rule for every command troupe prints.

/** Characters that never need quoting in a POSIX shell word. */
const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

const singleQuoted = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

/** One word, single-quoted when the shell would otherwise split, expand or interpret it. */
export function shellQuote(word: string): string {
  // A leading `=` is an expansion in zsh.
  return SAFE_WORD.test(word) && !word.startsWith('=') ? word : singleQuoted(word);
}

/** A command line from its words, each quoted as needed. */
export function shellCommand(argv: readonly string[]): string {
  // A first word holding `=` would be read as a variable assignment.
  return argv.map((word, i) => (i === 0 && word.includes('=') ? singleQuoted(word) : shellQuote(word))).join(' ');
}
