// `mco`: the command line. Each subcommand parses its options, then hands a typed request to an application.
import { Command, CommanderError } from 'commander';
import type { Run } from './run.js';
import { reportError } from './errors.js';
import { COMMANDS, entriesFor, type CommandEntry } from './commands.js';
import { VERSION_STRING as VERSION } from './version.js';

/** The program with the commands of `entries` declared (by default every command). */
export async function buildProgram(setExit: (code: number) => void, entries: readonly CommandEntry[] = COMMANDS): Promise<Command> {
  const program = new Command('mco')
    .description('troupe: orchestrate a fleet of nodes over NATS')
    .version(VERSION, '--version')
    .showSuggestionAfterError()
    .exitOverride()
    // Argument errors read like every other mco error: `mco: …` on one line.
    .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, 'mco: ')) });

  const run: Run =
    (fn) =>
    async (...args) => {
      const cmd = args[args.length - 1] as Command;
      try {
        setExit(await fn(...(args as Parameters<typeof fn>)));
      } catch (err) {
        setExit(reportError(err, Boolean(cmd.opts().debug)));
      }
    };

  for (const entry of entries) (await entry.load())(program, run);
  return program;
}

async function main(): Promise<void> {
  let code = 0;
  // A reader that stops early (`mco find | head -1`) ends the output quietly, as for any Unix filter.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => process.exit(err.code === 'EPIPE' ? 0 : reportError(err, false)));
  const program = await buildProgram((c) => (code = c), entriesFor(process.argv.slice(2)));
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) code = err.exitCode === 0 ? 0 : 1;
    else code = reportError(err, process.argv.includes('--debug'));
  }
  process.exitCode = code;
}

// The benchmark reads the client's peak memory from here; nothing else uses it.
if (process.env.TROUPE_REPORT_MAXRSS) {
  process.on('exit', () => process.stderr.write(`troupe-maxrss-kb=${process.resourceUsage().maxRSS}\n`));
}

await main();
// The command is done. A handle a library failed to release (nats.js keeps the socket of a handshake that
// timed out) must not keep it from exiting; the timer is unref'd, so a clean exit does not wait for it.
setTimeout(() => process.exit(), 500).unref();
