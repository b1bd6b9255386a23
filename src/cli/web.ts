// `mco web --config FILE`: the web console; `mco web user add|passwd|rm NAME`: its users file. The web module (and
// fastify with it) is loaded only when one of these runs, so `mco ping` does not pay for it.
import { createInterface } from 'node:readline';
import { InvalidArgumentError, type Command } from 'commander';
import { UsageError } from '../client/errors.js';
import type { Run } from './run.js';
import { clientConfig } from './session.js';

interface WebFlags {
  config?: string;
  debug?: boolean;
  insecureHttp?: boolean;
  listen?: string;
  port?: number;
}

interface UserFlags {
  config?: string;
  debug?: boolean;
  role?: string[];
  cert?: string[];
  passwordStdin?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function portNumber(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) > 65535) throw new InvalidArgumentError('expected a port number (0 to 65535)');
  return Number(value);
}

/** Reads all of standard input: the password is its first line. */
async function passwordFromStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += (chunk as Buffer).toString('utf8');
  return text.split(/\r?\n/)[0] ?? '';
}

/** Asks on the terminal without echoing what is typed. */
function prompt(question: string): Promise<string> {
  if (!process.stdin.isTTY) throw new UsageError('no terminal to ask the password on', 'pass it on standard input with --password-stdin');
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    const out = rl as unknown as { _writeToOutput?: (s: string) => void };
    process.stderr.write(question);
    out._writeToOutput = () => undefined;
    rl.question('', (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
  });
}

async function newPassword(flags: UserFlags): Promise<string> {
  let password: string;
  if (flags.passwordStdin) password = await passwordFromStdin();
  else {
    password = await prompt('Password: ');
    if ((await prompt('Again: ')) !== password) throw new UsageError('the passwords differ');
  }
  if (password.length < 8) throw new UsageError('the password must have at least 8 characters');
  return password;
}

async function userCommand(op: 'add' | 'passwd' | 'rm', name: string, flags: UserFlags): Promise<number> {
  const { checkUserName, hashPassword, loadUsers, saveUsers } = await import('../web/users.js');
  const { webFiles } = await import('../web/server.js');
  const config = clientConfig(flags.config);
  const file = webFiles(config, flags.config).users;
  try {
    checkUserName(name);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const data = loadUsers(file);
  const known = Object.hasOwn(data.users, name);
  if (op === 'add' && known) throw new UsageError(`user '${name}' exists`, '`mco web user passwd` changes the password');
  if (op !== 'add' && !known) throw new UsageError(`no user '${name}' in ${file}`);
  if (op === 'rm') {
    delete data.users[name];
    saveUsers(file, data);
    process.stdout.write(`removed user ${name} from ${file}\n`);
    return 0;
  }
  const hash = await hashPassword(await newPassword(flags));
  const before = data.users[name];
  data.users[name] = {
    hash,
    roles: flags.role ?? before?.roles ?? [],
    ...((flags.cert ?? before?.certificates) ? { certificates: flags.cert ?? before?.certificates } : {}),
  };
  saveUsers(file, data);
  process.stdout.write(`${op === 'add' ? 'added' : 'changed the password of'} user ${name} in ${file}\n`);
  return 0;
}

async function webCommand(flags: WebFlags): Promise<number> {
  const { startWebServer } = await import('../web/server.js');
  const { default: pino } = await import('pino');
  const config = clientConfig(flags.config);
  const logger = pino({ level: config.get('loglevel') }, pino.destination(2));
  const server = await startWebServer({
    config,
    configFile: flags.config,
    logger,
    ...(flags.insecureHttp ? { insecureHttp: true } : {}),
    ...(flags.listen !== undefined ? { listen: flags.listen } : {}),
    ...(flags.port !== undefined ? { port: flags.port } : {}),
  });
  process.stdout.write(`mco web listening on ${server.url}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  return 0;
}

export function registerWebCommand(program: Command, run: Run): void {
  const web = program
    .command('web')
    .description('serve the web console (HTTPS with the troupe CA certificates)')
    .option('-c, --config <file>', 'client config file (web.* keys)')
    .option('--insecure-http', 'serve plain HTTP (only on a loopback address)')
    .option('--listen <address>', 'address to listen on (default web.listen)')
    .option('--port <port>', 'port to listen on (default web.port; 0 picks one)', portNumber)
    .option('--debug', 'print stack traces on errors')
    .action(run((flags: WebFlags) => webCommand(flags)));
  const user = web.command('user').description("manage the web console's users file");
  const userOp = (op: 'add' | 'passwd' | 'rm', description: string) => {
    const cmd = user
      .command(op)
      .description(description)
      .argument('<name>', 'user name')
      .option('-c, --config <file>', 'client config file (web.users_file)')
      .option('--debug', 'print stack traces on errors');
    if (op !== 'rm') {
      cmd
        .option('--password-stdin', 'read the password from standard input instead of asking')
        .option('--role <role>', 'a role of the user (repeat for several)', collect)
        .option('--cert <cn>', 'a client certificate name that logs in as this user (repeat for several)', collect);
    }
    // `-c` after the subcommand is taken by `mco web`, which has one too: read the options of both.
    cmd.action(run((name: string, _flags: UserFlags, self: Command) => userCommand(op, name, self.optsWithGlobals<UserFlags>())));
  };
  userOp('add', 'add a user (password asked without echo, or --password-stdin)');
  userOp('passwd', "change a user's password (and roles, with --role)");
  userOp('rm', 'remove a user');
}
