import type { DataDDL } from './data.js';
import type { ActionDDL, AgentDDL, DDLMetadata, InputDDL, OutputDDL } from './types.js';

/** Field labels end in the same column, as in MCollective's rpc-help template. */
const LABEL_WIDTH = 25;

function field(label: string, value: string | number | boolean | undefined): string {
  return `${label.padStart(LABEL_WIDTH)}: ${value}`;
}

function show(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function inputLines(name: string, input: InputDDL): string[] {
  const lines = [`           ${name}:`, field('Description', input.description), field('Prompt', input.prompt)];
  lines.push(field('Type', input.type));
  if (input.type === 'list') lines.push(field('Valid Values', (input.list ?? []).map(show).join(', ')));
  if (input.validation !== undefined) lines.push(field('Validation', input.validation));
  if (input.maxlength) lines.push(field('Length', input.maxlength));
  lines.push(field('Optional', input.optional));
  if (input.default !== undefined) lines.push(field('Default Value', show(input.default)));
  lines.push('');
  return lines;
}

function outputLines(name: string, output: OutputDDL): string[] {
  const lines = [`           ${name}:`, field('Description', output.description), field('Display As', output.display_as)];
  if (output.type !== undefined) lines.push(field('Type', output.type));
  if (output.default !== undefined && output.default !== null) lines.push(field('Default Value', show(output.default)));
  lines.push('');
  return lines;
}

function actionLines(name: string, action: ActionDDL): string[] {
  const heading = `${name} action:`;
  const lines = [`   ${heading}`, `   ${'-'.repeat(heading.length)}`, `       ${action.description}`, '', '       INPUT:'];
  const inputs = Object.keys(action.input).sort();
  if (inputs.length === 0) lines.push('           This action does not have any inputs', '');
  for (const input of inputs) lines.push(...inputLines(input, action.input[input]!));
  if (action.additional_inputs) lines.push('           Inputs not declared here are accepted too', '');
  lines.push('       OUTPUT:');
  const outputs = Object.keys(action.output).sort();
  if (outputs.length === 0) lines.push('           This action does not have any outputs', '');
  for (const output of outputs) lines.push(...outputLines(output, action.output[output]!));
  return lines;
}

/** The heading's description and the metadata block both kinds of plugin doc open with. */
function metadataLines(meta: DDLMetadata): string[] {
  return [
    '',
    meta.description,
    '',
    `      Author: ${meta.author}`,
    `     Version: ${meta.version}`,
    `     License: ${meta.license}`,
    `     Timeout: ${meta.timeout}`,
    `   Home Page: ${meta.url}`,
    '',
  ];
}

/** The text of `mco plugin doc <agent>`: metadata, the ACTIONS list, then each action's inputs and outputs. */
export function renderDoc(ddl: AgentDDL): string {
  const meta = ddl.metadata;
  const actions = Object.keys(ddl.actions).sort();
  const lines = [meta.name, '='.repeat(meta.name.length), ...metadataLines(meta), 'ACTIONS:', '========', `   ${actions.join(', ')}`, ''];
  for (const action of actions) lines.push(...actionLines(action, ddl.actions[action]!));
  return `${lines.join('\n').trimEnd()}\n`;
}

/** The text of `mco plugin doc data/<name>`: metadata, the query's input and its output fields, as MCollective prints it. */
export function renderDataDoc(ddl: DataDDL): string {
  const meta = ddl.metadata;
  const { dataquery } = ddl;
  const [inputName] = Object.keys(dataquery.input);
  const call = `${meta.name}(${inputName === undefined ? '' : "'…'"})`;
  const lines = [`${meta.name} data plugin`, '='.repeat(meta.name.length + 12), ...metadataLines(meta), 'QUERY FUNCTION INPUT:', ''];
  if (inputName === undefined) lines.push('           This plugin does not take any input', '');
  else lines.push(...inputLines(inputName, dataquery.input[inputName]!));
  lines.push('QUERY FUNCTION OUTPUT:', '');
  for (const output of Object.keys(dataquery.output).sort()) lines.push(...outputLines(output, dataquery.output[output]!));
  const first = Object.keys(dataquery.output)[0]!;
  lines.push('USE IN FILTERS:', '', `   -S "${call}.${first}=…"`, '');
  return `${lines.join('\n').trimEnd()}\n`;
}
