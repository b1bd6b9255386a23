// `mco governor add|list|view|evict|rm|run`: fleet-wide concurrency limits kept in JetStream (plan/governor.ts).
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import { UsageError } from '../client/errors.js';
import { Governor, GovernorAdmin, GovernorError, formatDuration, parseDuration, type GovernorInfo } from '../plan/governor.js';
import type { RunGovernors } from '../plugins/agents/puppet/governor-hold.js';
import type { Connector } from '../transport/index.js';
import { withBroker } from './jetstream.js';

type Raw = Record<string, unknown>;
// The action wrapper of cli/main.ts, whose commander callbacks take each command's own arguments.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Run = (fn: (...args: any[]) => Promise<number> | number) => (...args: unknown[]) => Promise<void>;

/** `mco governor run` when no slot came free in --max-wait: EX_TEMPFAIL, "try again later". */
export const EXIT_NO_SLOT = 75;
/** The command could not be started (as a shell says it). */
const EXIT_NOT_STARTED = 127;

const out = (line: string) => process.stdout.write(line + '\n');

function duration(value: string): number {
  try {
    return parseDuration(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError('expected a whole number');
  return Number(value);
}

/** Governor failures as the CLI shows them: one line and what to do next. */
function explain(err: unknown, name?: string): never {
  if (err instanceof GovernorError) {
    if (err.code === 'not_found' && name)
      throw new UsageError(err.message, '`mco governor list` shows the governors there are', 'not_found');
    if (err.code === 'unavailable')
      throw new UsageError(
        err.message,
        'governors need NATS with JetStream, and broker permission for the governor (plugin.broker.governors)',
        'unavailable',
      );
    throw new UsageError(err.message, undefined, err.code);
  }
  throw err;
}

function ago(iso: string, now = Date.now()): string {
  const s = Math.round((now - Date.parse(iso)) / 1000);
  return s >= 0 ? `${formatDuration(s * 1000)} ago` : `in ${formatDuration(-s * 1000)}`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

const describe = (g: GovernorInfo) =>
  `capacity ${g.capacity}, expiry ${formatDuration(g.expiryMs)}, ${g.replicas} replica${g.replicas === 1 ? '' : 's'}, ${g.active} held`;

async function add(name: string, capacity: number, expiryMs: number, raw: Raw): Promise<number> {
  return withBroker(raw, async ({ connector }) => {
    const { info, created } = await GovernorAdmin.for(connector)
      .add(name, capacity, expiryMs, (raw.replicas as number | undefined) ?? 1)
      .catch((e: unknown) => explain(e));
    out(`${created ? 'Created' : 'Updated'} governor ${info.name}: ${describe(info)}`);
    return 0;
  });
}

async function list(raw: Raw): Promise<number> {
  return withBroker(raw, async ({ connector }) => {
    const governors = await GovernorAdmin.for(connector)
      .list()
      .catch((e: unknown) => explain(e));
    if (raw.json) {
      out(JSON.stringify(governors, null, 2));
      return 0;
    }
    if (governors.length === 0) {
      out('No governors (add one with `mco governor add NAME CAPACITY EXPIRY`)');
      return 0;
    }
    const rows = [
      ['NAME', 'CAPACITY', 'HELD', 'EXPIRY', 'REPLICAS'],
      ...governors.map((g) => [g.name, String(g.capacity), String(g.active), formatDuration(g.expiryMs), String(g.replicas)]),
    ];
    for (const line of table(rows)) out(line);
    return 0;
  });
}

async function view(name: string, raw: Raw): Promise<number> {
  return withBroker(raw, async ({ connector }) => {
    const { info, slots } = await GovernorAdmin.for(connector)
      .view(name)
      .catch((e: unknown) => explain(e, name));
    if (raw.json) {
      out(JSON.stringify({ ...info, slots }, null, 2));
      return 0;
    }
    out(`Governor ${info.name}: ${describe(info)}`);
    if (slots.length === 0) return 0;
    out('');
    const now = Date.now();
    const rows = [
      ['ID', 'HOLDER', 'HOST', 'PID', 'TAKEN', 'EXPIRES'],
      ...slots.map((s) => [s.id, s.holder, s.host, String(s.pid), ago(s.acquiredAt, now), ago(s.expiresAt, now)]),
    ];
    for (const line of table(rows)) out(line);
    return 0;
  });
}

async function evict(name: string, id: string, raw: Raw): Promise<number> {
  return withBroker(raw, async ({ connector }) => {
    await GovernorAdmin.for(connector)
      .evict(name, id)
      .catch((e: unknown) => explain(e, name));
    out(`Evicted slot ${id} from governor ${name}`);
    return 0;
  });
}

async function rm(name: string, raw: Raw): Promise<number> {
  return withBroker(raw, async ({ connector }) => {
    await GovernorAdmin.for(connector)
      .rm(name)
      .catch((e: unknown) => explain(e, name));
    out(`Removed governor ${name}`);
    return 0;
  });
}

/** Runs `argv` (no shell) while holding a slot of governor `name`; exits with the command's code. */
async function runUnder(name: string, argv: string[], raw: Raw): Promise<number> {
  if (argv.length === 0) throw new UsageError('no command to run', `mco governor run ${name} -- COMMAND [ARGS...]`);
  const maxWaitMs = (raw.maxWait as number | undefined) ?? 300_000;
  return withBroker(raw, async ({ connector, who }) => {
    const governor = Governor.for(connector, name);
    const waiting = new AbortController();
    let interrupted: NodeJS.Signals = 'SIGTERM';
    const stopWaiting = (signal: NodeJS.Signals) => {
      interrupted = signal;
      waiting.abort();
    };
    process.once('SIGINT', stopWaiting);
    process.once('SIGTERM', stopWaiting);
    let slot;
    try {
      slot = await governor.acquire({ holder: who(), maxWaitMs, signal: waiting.signal });
    } catch (err) {
      if (err instanceof GovernorError && err.code === 'timeout') {
        process.stderr.write(`mco: ${err.message}; did not run ${argv[0]}\n`);
        return EXIT_NO_SLOT;
      }
      if (err instanceof GovernorError && err.code === 'aborted') return 128 + constants.signals[interrupted];
      return explain(err, name);
    } finally {
      process.off('SIGINT', stopWaiting);
      process.off('SIGTERM', stopWaiting);
    }
    const held = slot;
    held.lost.addEventListener('abort', () =>
      process.stderr.write(`mco: ${(held.lost.reason as Error).message}; ${argv[0]} goes on running outside the governor\n`),
    );
    try {
      return await runCommand(argv);
    } finally {
      await held.release().catch((err: unknown) => process.stderr.write(`mco: ${(err as Error).message}\n`));
    }
  });
}

/** The command's exit code; 128 + the signal number when a signal ended it, as a shell reports it. */
function runCommand(argv: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: 'inherit' });
    // Signals meant for the job reach the command; the slot is given back once it has exited.
    const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
    const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((s) => [s, forward(s)] as const);
    for (const [s, h] of handlers) process.on(s, h);
    const done = (code: number) => {
      for (const [s, h] of handlers) process.off(s, h);
      resolve(code);
    };
    child.once('error', (err: NodeJS.ErrnoException) => {
      process.stderr.write(`mco: cannot run ${argv[0]}: ${err.code ?? err.message}\n`);
      done(EXIT_NOT_STARTED);
    });
    child.once('exit', (code, signal) => done(code ?? 128 + (signal ? constants.signals[signal] : 0)));
  });
}

/** Governor slots for the daemon's puppet agent, over the daemon's own broker connection. */
export function runGovernorsFor(connector: Connector): RunGovernors {
  const governors = new Map<string, Governor>();
  return {
    async acquire(name, holder, maxWaitMs, signal) {
      let governor = governors.get(name);
      if (!governor) governors.set(name, (governor = Governor.for(connector, name)));
      try {
        return { slot: await governor.acquire({ holder, maxWaitMs, signal }) };
      } catch (err) {
        if (err instanceof GovernorError && err.code === 'timeout') return { refused: err.message };
        throw err;
      }
    },
  };
}

export function registerGovernorCommands(program: Command, run: Run): Command {
  const governor = program
    .command('governor')
    .description('fleet-wide concurrency limits: at most CAPACITY holders at once, kept in JetStream');
  const common = (cmd: Command) =>
    cmd.option('-c, --config <file>', 'client config file').option('--debug', 'print stack traces on errors');

  common(governor.command('add').description('create a governor, or change its capacity and expiry (at once, for every holder)'))
    .argument('<name>', 'governor name (letters, digits, _ and -)')
    .argument('<capacity>', 'how many may hold a slot at once', wholeNumber)
    .argument('<expiry>', 'a slot whose holder stopped refreshing it is freed after this long (30s, 20m, 1h)', duration)
    .option('--replicas <n>', 'copies a JetStream cluster keeps (1, 3 or 5)', wholeNumber)
    .action(run((name: string, capacity: number, expiryMs: number, raw: Raw) => add(name, capacity, expiryMs, raw)));

  common(governor.command('list').description('every governor, its capacity and how many slots are held'))
    .option('-j, --json', 'JSON output')
    .action(run((raw: Raw) => list(raw)));

  common(governor.command('view').description('the slots of a governor: who holds them, since when, and when they expire'))
    .argument('<name>', 'governor name')
    .option('-j, --json', 'JSON output')
    .action(run((name: string, raw: Raw) => view(name, raw)));

  common(governor.command('evict').description('free one slot now (its holder finds out at its next refresh)'))
    .argument('<name>', 'governor name')
    .argument('<id>', 'slot id, as `mco governor view` shows it')
    .action(run((name: string, id: string, raw: Raw) => evict(name, id, raw)));

  common(governor.command('rm').description('remove a governor and every slot in it'))
    .argument('<name>', 'governor name')
    .action(run((name: string, raw: Raw) => rm(name, raw)));

  common(
    governor
      .command('run')
      .description(
        `run COMMAND holding a slot: waits for one up to --max-wait, exits with COMMAND's code (${EXIT_NO_SLOT} when no slot came free)`,
      ),
  )
    .usage('[options] <name> -- <command> [args...]')
    .argument('<name>', 'governor name')
    .argument('[command...]', 'the command and its arguments, after --; run without a shell')
    .option('--max-wait <duration>', 'longest wait for a free slot (30s, 20m; default 5m)', duration)
    .action(run((name: string, argv: string[], raw: Raw) => runUnder(name, argv, raw)));

  return governor;
}
