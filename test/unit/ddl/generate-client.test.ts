// DDL → TypeScript client module: the types follow the DDL, and the module carries a DDL that loads back the same.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateClient } from '../../../src/ddl/generate-client.js';
import { loadDDLFile, parseDDL } from '../../../src/ddl/index.js';
import { BUILTIN_AGENT_DIR } from '../../../src/plugins/agents/index.js';

const puppet = loadDDLFile(join(BUILTIN_AGENT_DIR, 'puppet', 'puppet.ddl.json'));

/** The body of one generated interface or type literal. */
function declaration(source: string, name: string): string {
  const start = source.search(new RegExp(`^export (interface|type) ${name}\\b`, 'm'));
  if (start < 0) throw new Error(`no ${name} in the generated source`);
  const rest = source.slice(start);
  const end = rest.startsWith('export interface')
    ? rest.indexOf('\n}\n')
    : rest.includes('= {\n') && rest.indexOf('= {\n') < rest.indexOf('\n')
      ? rest.indexOf('\n};\n')
      : rest.indexOf('\n');
  return rest.slice(0, end + 1);
}

describe('generateClient', () => {
  const source = generateClient(puppet);

  it('types every input as the DDL declares it, optional only where the DDL allows leaving it out', () => {
    const runonce = declaration(source, 'PuppetRunonceInput');
    expect(runonce).toMatch(/\n {2}noop\?: boolean;/);
    expect(runonce).toMatch(/\n {2}splaylimit\?: number;/);
    expect(runonce).toMatch(/\n {2}tags\?: string;/);
    const resource = declaration(source, 'PuppetResourceInput');
    expect(resource).toMatch(/\n {2}name: string;/);
    expect(resource).toMatch(/\n {2}type: string;/);
    expect(declaration(source, 'PuppetStatusInput')).toContain('Record<string, never>');
  });

  it('types the outputs, and maps every action to its input and output', () => {
    expect(declaration(source, 'PuppetDisableOutput')).toMatch(/enabled: boolean;/);
    const actions = declaration(source, 'PuppetActions');
    for (const action of Object.keys(puppet.actions)) expect(actions).toContain(`${action}: { input: `);
    expect(source).toMatch(/^export const puppet: TypedAgentDDL<PuppetActions> = defineAgent<PuppetActions>\(/m);
    expect(source).toContain(`import { defineAgent, type TypedAgentDDL } from "troupe";`);
  });

  it('embeds a DDL that parses back to the one it was made from', () => {
    const json = /defineAgent<PuppetActions>\(([^]*)\);\n/.exec(source)![1]!;
    expect(parseDDL(JSON.parse(json))).toEqual(puppet);
  });

  it('unions the values of a list input, keeps comments closed, and allows undeclared inputs when the DDL does', () => {
    const ddl = parseDDL({
      metadata: { name: 'pkg_tool', description: 'packages', author: 'a', license: 'l', version: '1', url: 'u', timeout: 5 },
      actions: {
        do_it: {
          description: 'does it',
          additional_inputs: true,
          input: {
            mode: { prompt: 'Mode', description: 'how', type: 'list', list: ['fast', 'slow'], optional: false },
            dry_run: { prompt: 'Dry', description: 'pretend */ here', type: 'boolean', optional: true, default: false },
          },
          output: { n: { description: 'count', display_as: 'N', type: 'integer' } },
        },
      },
    });
    const text = generateClient(ddl, { importFrom: '../src/index.js' });
    const input = declaration(text, 'PkgToolDoItInput');
    expect(input).toMatch(/\n {2}mode: "fast" \| "slow";/);
    expect(input).toMatch(/\n {2}dry_run\?: boolean;/);
    expect(input).toContain('[input: string]: unknown;');
    expect(input).toContain('pretend *\\/ here');
    expect(text).toContain('do_it: { input: PkgToolDoItInput; output: PkgToolDoItOutput };');
    expect(text).toMatch(/^export const pkgTool: /m);
    expect(text).toContain('from "../src/index.js"');
  });
});
