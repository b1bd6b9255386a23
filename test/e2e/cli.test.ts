// The built `mco` binary as a user runs it: help, and every kind of mistake answered by one clear line.
import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer, freePort, type LocalNatsServer } from '../helpers/broker.js';
import { MCO, runMco, scratchDir, type McoResult } from '../helpers/mco.js';

let broker: LocalNatsServer;
let watcher: NatsConnection;
/** Every message published on the broker while the tests run. */
const seen: string[] = [];
const scratch = scratchDir();
let config: string;

beforeAll(async () => {
  broker = await startNatsServer();
  watcher = await connect({ servers: broker.url.replace('nats://', '') });
  watcher.subscribe('>', { callback: (_e, m) => seen.push(m.subject) });
  await watcher.flush();
  config = scratch.file('client.cfg', `middleware_hosts = ${broker.url}\ndiscovery_timeout = 1\nsecurityprovider = insecure\n`);
});

afterAll(async () => {
  await watcher?.close();
  await broker?.stop();
  scratch.cleanup();
});

const mco = (args: string[]) => runMco([...args, '--config', config]);

/** Runs mco and checks that nothing reached the broker meanwhile. */
async function mcoSendingNothing(args: string[]): Promise<McoResult> {
  const before = seen.length;
  const r = await mco(args);
  await watcher.flush();
  expect(seen.slice(before), `mco ${args.join(' ')} published`).toEqual([]);
  return r;
}

function expectOneLineError(r: McoResult, first: RegExp) {
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  const errLines = r.stderr.trimEnd().split('\n');
  expect(errLines[0]).toMatch(first);
  expect(errLines.length).toBeLessThanOrEqual(2);
  expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
}

// Help runs no request: these can share the two cores.
describe.concurrent('help', () => {
  it('mco --help lists every subcommand; --version prints the version', async () => {
    const [help, version] = await Promise.all([runMco(['--help']), runMco(['--version'])]);
    expect(help.code).toBe(0);
    for (const sub of ['ping', 'find', 'rpc', 'facts', 'inventory', 'plugin', 'server', 'sim'])
      expect(help.stdout).toMatch(new RegExp(`^  ${sub}\\b`, 'm'));
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  const subcommands: Array<[string[], string[]]> = [
    [['ping'], ['-F, --wf', '-T, --target', '--expect', '-t, --timeout']],
    [['find'], ['-S, --select', '-W, --with', '--nodes']],
    [
      ['rpc'],
      [
        '<agent> <action> [inputs...]',
        '--batch <size>',
        '--batch-sleep',
        '--limit-nodes',
        '--limit-seed',
        '-1, --one',
        '--display <mode>',
        '--no-results',
        '-j, --json',
        '--np',
      ],
    ],
    [['facts'], ['<fact>', '-v, --verbose']],
    [['inventory'], ['[identity]', '--lc, --list-collectives']],
    [
      ['plugin', 'doc'],
      ['[plugin]', 'data/NAME'],
    ],
    [['server', 'run'], ['-c, --config <file>']],
    [['sim'], ['--fleet <file>', '--nodes <count>']],
  ];
  for (const [sub, flags] of subcommands) {
    it(`mco ${sub.join(' ')} --help`, async () => {
      const r = await runMco([...sub, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: mco ${sub.join(' ')} [options]`);
      for (const f of flags) expect(r.stdout).toContain(f);
      expect(r.stderr).toBe('');
    });
  }

  it('mco inventory needs an identity or --list-collectives, not both', async () => {
    const none = await runMco(['inventory']);
    expect([none.code, none.stderr.split('\n')[0]]).toEqual([1, 'mco: inventory needs a node identity, or --list-collectives']);
    const both = await runMco(['inventory', 'web1', '--lc']);
    expect([both.code, both.stderr.split('\n')[0]]).toEqual([1, 'mco: --list-collectives takes no node identity and no --registry']);
  });

  it('a mistyped subcommand is refused with a suggestion', async () => {
    const r = await runMco(['pnig']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("unknown command 'pnig'");
    expect(r.stderr).toContain('Did you mean ping?');
  });
});

describe('bad filters: a caret under the offending character, exit 1, nothing sent', () => {
  const cases: Array<[string[], string, string]> = [
    [['rpc', 'rpcutil', 'ping', '-F', 'rol e=web'], 'rol e=web', 'e'],
    [['find', '-S', 'role=web and (os.family=Debian'], 'role=web and (os.family=Debian', '('],
    [['ping', '-C', '/[/'], '/[/', '['],
    [['facts', 'role', '-S', 'role=web andd x'], 'role=web andd x', 'a'],
    [['rpc', 'rpcutil', 'ping', '-W', 'nginx role='], 'nginx role=', ''],
  ];

  for (const [args, source, at] of cases) {
    it(`${args.slice(-2).join(' ')}`, async () => {
      const r = await mcoSendingNothing(args);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      const lines = r.stderr.split('\n');
      expect(lines[0]).toMatch(/^mco: invalid filter in -[FCSW]:$/);
      const sourceLine = lines.findIndex((l) => l.endsWith(source));
      expect(sourceLine).toBeGreaterThan(0);
      const caretCol = lines[sourceLine + 1]!.indexOf('^');
      const pointed = lines[sourceLine]![caretCol] ?? '';
      if (at) expect(pointed).toBe(at);
      else expect(caretCol).toBe(lines[sourceLine]!.length); // missing text at the end
      expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
    });
  }
});

describe('bad configuration', () => {
  it('an unknown key: file:line and a suggestion, on one line', async () => {
    const cfg = scratch.file('typo.cfg', `# client\nmiddleware_hosts = ${broker.url}\n\ndiscovery_timout = 2\n`);
    const r = await runMco(['ping', '--config', cfg]);
    expectOneLineError(r, new RegExp(`^mco: ${cfg}:4: unknown config key "discovery_timout"; did you mean "discovery_timeout"\\?$`));
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('a bad value names file:line and the key', async () => {
    const cfg = scratch.file('value.cfg', `middleware_hosts = ${broker.url}\nttl = soon\n`);
    const r = await runMco(['rpc', 'rpcutil', 'ping', '--config', cfg]);
    expectOneLineError(r, new RegExp(`^mco: ${cfg}:2: .*ttl`));
  });

  it('a config file that does not exist', async () => {
    const r = await runMco(['ping', '--config', '/nonexistent/client.cfg']);
    expectOneLineError(r, /^mco: .*\/nonexistent\/client\.cfg/);
  });
});

describe('unknown agents, actions and inputs: one line and a hint, nothing sent', () => {
  it('unknown agent', async () => {
    const r = await mcoSendingNothing(['rpc', 'nosuch', 'ping']);
    expectOneLineError(r, /^mco: unknown agent 'nosuch'$/);
    expect(r.stderr.split('\n')[1]).toContain('mco plugin doc');
  });

  it('unknown action lists the actions', async () => {
    const r = await mcoSendingNothing(['rpc', 'rpcutil', 'pong']);
    expectOneLineError(r, /^mco: agent 'rpcutil' has no action 'pong'$/);
    expect(r.stderr.split('\n')[1]).toMatch(/actions: agent_inventory, .*get_fact.*, ping/);
  });

  it('a missing required input', async () => {
    const r = await mcoSendingNothing(['rpc', 'rpcutil', 'get_fact']);
    expectOneLineError(r, /^mco: rpcutil#get_fact needs fact=/);
  });

  it('an input the DDL refuses is caught on the client', async () => {
    const r = await mcoSendingNothing(['rpc', 'rpcutil', 'get_fact', 'fact=no spaces allowed']);
    expectOneLineError(r, /^mco: rpcutil#get_fact: Input 'fact' does not match/);
  });

  it('plugin doc of an unknown agent', async () => {
    const r = await mco(['plugin', 'doc', 'nosuch']);
    expectOneLineError(r, /^mco: no documentation for 'nosuch'/);
  });
});

describe('bad option values are refused before anything runs', () => {
  const cases: Array<[string[], RegExp]> = [
    [['rpc', 'rpcutil', 'ping', '--batch', '0'], /--batch <size>.*'0' is invalid/],
    [['rpc', 'rpcutil', 'ping', '--batch', 'ten'], /--batch <size>.*'ten' is invalid/],
    [['rpc', 'rpcutil', 'ping', '--dt', 'abc'], /--discovery-timeout <seconds>.*'abc' is invalid/],
    [['rpc', 'rpcutil', 'ping', '--limit-nodes', '0%'], /--limit-nodes <count>.*'0%' is invalid/],
    [['rpc', 'rpcutil', 'ping', '--display', 'some'], /--display <mode>.*'some' is invalid/],
    [['rpc', 'rpcutil', 'ping', '--ttl', '0'], /--ttl <seconds>.*'0' is invalid/],
    [['rpc', 'rpcutil', 'ping', '--batch-sleep', '-1'], /--batch-sleep <seconds>.*'-1' is invalid/],
    [['ping', '--no-such-option'], /unknown option '--no-such-option'/],
    [['rpc', 'rpcutil', 'ping', '--limit-nodes', '150%'], /'150%' is invalid\. a percentage cannot exceed 100%/],
    [['find', '--do', 'novalue'], /--do expects key=value/],
  ];
  for (const [args, message] of cases) {
    it(args.slice(3).join(' ') || args.join(' '), async () => {
      const r = await mcoSendingNothing(args);
      expect(r.code).toBe(1);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(r.stderr.includes('\n     ') ? 2 : 1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
    });
  }
});

describe('no broker', () => {
  it('connection refused: one clear line and a hint, fast', async () => {
    const cfg = scratch.file('refused.cfg', `middleware_hosts = nats://127.0.0.1:${await freePort()}\n`);
    const started = Date.now();
    const r = await runMco(['rpc', 'rpcutil', 'ping', '--config', cfg]);
    expect(Date.now() - started).toBeLessThan(5000);
    expectOneLineError(r, /^mco: cannot connect to NATS at nats:\/\/127\.0\.0\.1:\d+: /);
    expect(r.stderr.split('\n')[1]).toContain('is the broker running?');
  });

  it('a server that accepts but never speaks NATS: fails within the connect timeout', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => sockets.push(s));
    const port = await freePort();
    await new Promise<void>((r) => silent.listen(port, '127.0.0.1', r));
    try {
      const cfg = scratch.file('silent.cfg', `middleware_hosts = nats://127.0.0.1:${port}\nplugin.nats.connect_timeout = 1\n`);
      const started = Date.now();
      const r = await runMco(['ping', '--config', cfg]);
      const took = Date.now() - started;
      expect(took).toBeLessThan(8000); // 1 s timeout plus process start on a busy machine; it used to hang
      expectOneLineError(r, /^mco: cannot connect to NATS at /);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });
});

describe('output to a closed pipe', () => {
  it('ends quietly, without a stack trace', async () => {
    const child = spawn(process.execPath, [MCO, 'plugin', 'doc', 'rpcutil', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
