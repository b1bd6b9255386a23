// What `mco` prints for an error: `mco: <message>`, the hint indented below, a stack only with --debug.
import { describe, expect, it } from 'vitest';
import { reportError } from '../../../src/cli/errors.js';
import { TroupeError } from '../../../src/errors.js';
import { ERROR_CATALOGUE } from '../../../src/cli/error-catalogue.js';
import { UsageError } from '../../../src/client/errors.js';
import { ConfigError } from '../../../src/config/errors.js';
import { DDLError } from '../../../src/ddl/errors.js';
import { FilterError } from '../../../src/filter/errors.js';
import { TransportError } from '../../../src/transport/connector.js';
import { FactsError } from '../../../src/plugins/facts/errors.js';
import { CAError } from '../../../src/security/ca/errors.js';
import { sampleOf } from '../errors/samples.js';

function report(err: unknown, debug = false): { text: string; code: number } {
  let text = '';
  const code = reportError(err, debug, (s) => {
    text += s;
    return true;
  });
  return { text, code };
}

const STACK_LINE = /\n\s+at .+:\d+:\d+/;

describe('reportError', () => {
  it('prints the message, then the hint indented on the next line, and exits 1', () => {
    expect(report(new UsageError("unknown agent 'nosuch'", "'mco plugin doc' lists the agents this client knows"))).toEqual({
      text: "mco: unknown agent 'nosuch'\n     'mco plugin doc' lists the agents this client knows\n",
      code: 1,
    });
    expect(report(new UsageError('inventory needs a node identity')).text).toBe('mco: inventory needs a node identity\n');
  });

  it('carries the hints each module gives its errors', () => {
    expect(report(new TransportError('connect_failed', 'cannot connect to NATS at nats://127.0.0.1:1: refused')).text).toBe(
      'mco: cannot connect to NATS at nats://127.0.0.1:1: refused\n' +
        '     is the broker running? check middleware_hosts in your config, or pass --config\n',
    );
    expect(report(new TransportError('not_permitted', 'the broker does not let this certificate publish to x')).text).toBe(
      'mco: the broker does not let this certificate publish to x\n',
    );
    expect(report(new DDLError('ARGUMENT_INVALID', "Argument 'loud' should be a boolean")).text).toBe(
      "mco: Argument 'loud' should be a boolean\n     'mco plugin doc AGENT' shows the inputs an action takes\n",
    );
    expect(report(new DDLError('DDL_INVALID', 'agents/x.json: bad')).text).toBe('mco: agents/x.json: bad\n');
    expect(report(new FactsError('FACTS_PARSE', 'facts.yaml:3: invalid YAML')).text).toBe(
      'mco: facts.yaml:3: invalid YAML\n     check the files named in plugin.yaml\n',
    );
  });

  it('gives a config suggestion as a hint only when the message does not already carry it', () => {
    const message = 'c.cfg:4: unknown config key "ttll"; did you mean "ttl"?';
    const inMessage = new ConfigError('CONFIG_UNKNOWN_KEY', message, { suggestion: 'ttl' });
    expect(report(inMessage).text).toBe('mco: c.cfg:4: unknown config key "ttll"; did you mean "ttl"?\n');
    const apart = new ConfigError('CONFIG_UNKNOWN_KEY', 'unknown config key', { suggestion: 'ttl' });
    expect(report(apart).text).toBe("mco: unknown config key\n     did you mean 'ttl'?\n");
  });

  it('shows a filter with a caret under the offending character, attributed to its option', () => {
    const err = new FilterError('FILTER_MISSING_OPERATOR', 'expected an operator', 'rol e=web', 4).forOption('-F');
    expect(report(err).text).toBe('mco: invalid filter in -F:\n     rol e=web\n         ^\n     -F: expected an operator\n');
    const empty = new FilterError('FILTER_TOO_MANY', '257 distinct identity filters (-I)', '', 0);
    expect(report(empty).text).toBe('mco: invalid filter:\n     257 distinct identity filters (-I)\n');
  });

  it('suggests --debug only for errors troupe did not raise on purpose, and prints stacks only with it', () => {
    expect(report(new Error('EACCES: permission denied')).text).toBe(
      'mco: EACCES: permission denied\n     run again with --debug for details\n',
    );
    expect(report('a thrown string').text).toBe('mco: a thrown string\n     run again with --debug for details\n');
    const debugged = report(new Error('boom'), true).text;
    expect(debugged.startsWith('mco: boom\nError: boom\n')).toBe(true);
    expect(debugged).toMatch(STACK_LINE);
    const known = report(new CAError('no_ca', 'no CA in /x (create one with `mco ca init`)'), true).text;
    expect(known.startsWith('mco: no CA in /x (create one with `mco ca init`)\nCAError: no CA in /x')).toBe(true);
  });

  it('exits with the code an error implies', () => {
    class Refused extends TroupeError {
      override get exitCode(): number {
        return 3;
      }
    }
    expect(report(new Refused('refused', 'nobody answered'))).toEqual({ text: 'mco: nobody answered\n', code: 3 });
  });

  it('prints every catalogued error as one message line and at most one hint line, no stack, exit 1', () => {
    for (const family of ERROR_CATALOGUE) {
      if (family.type === FilterError) continue; // its layout is checked above
      for (const code of Object.keys(family.codes)) {
        const err = sampleOf(family.type, code);
        const { text, code: exit } = report(err);
        const lines = text.trimEnd().split('\n');
        expect(lines[0], `${family.type.name} ${code}`).toBe(`mco: ${err.message}`);
        expect(lines.length, `${family.type.name} ${code}`).toBe(err.hint ? 2 : 1);
        if (err.hint) expect(lines[1]).toBe(`     ${err.hint}`);
        expect(text).not.toMatch(STACK_LINE);
        expect(exit).toBe(1);
      }
    }
  });
});
