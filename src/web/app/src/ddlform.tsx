// An action's input form generated from its DDL: one field per input, typed, with its prompt, description,
// required mark and the DDL's own checks (length, pattern, list) before anything is sent.
import type { DdlInput } from './api.js';

export type FormValues = Record<string, string>;

// Named validators the daemon knows; the server checks them, the browser only checks patterns it can compile.
const NAMED = new Set(['shellsafe', 'ipv4address', 'ipv6address', 'ipaddress', 'boolean', 'integer', 'float', 'number', 'string']);

function pattern(validation: string | undefined): RegExp | null {
  if (!validation || NAMED.has(validation)) return null;
  try {
    return new RegExp(validation);
  } catch {
    return null;
  }
}

function label(name: string, input: DdlInput): string {
  return input.prompt || name;
}

export function initialValues(inputs: Record<string, DdlInput>): FormValues {
  const v: FormValues = {};
  for (const [name, input] of Object.entries(inputs)) {
    v[name] = input.default === undefined || input.default === null ? '' : String(input.default);
  }
  return v;
}

/** The typed inputs to send, or the first field's problem. Empty optional fields are left out. */
export function collect(
  inputs: Record<string, DdlInput>,
  values: FormValues,
): { inputs: Record<string, unknown> } | { field: string; message: string } {
  const out: Record<string, unknown> = {};
  for (const [name, input] of Object.entries(inputs)) {
    const raw = (values[name] ?? '').trim() === '' ? '' : (values[name] ?? '');
    const what = label(name, input);
    if (raw === '') {
      if (!input.optional) return { field: name, message: `${what} is required` };
      continue;
    }
    switch (input.type) {
      case 'integer':
        if (!/^-?\d+$/.test(raw.trim())) return { field: name, message: `${what} must be a whole number` };
        out[name] = Number(raw.trim());
        break;
      case 'number':
      case 'float':
        if (!Number.isFinite(Number(raw.trim()))) return { field: name, message: `${what} must be a number` };
        out[name] = Number(raw.trim());
        break;
      case 'boolean':
        if (raw !== 'true' && raw !== 'false') return { field: name, message: `${what} must be true or false` };
        out[name] = raw === 'true';
        break;
      case 'list': {
        const choice = (input.list ?? []).find((x) => String(x) === raw);
        if (choice === undefined) return { field: name, message: `${what} must be one of ${(input.list ?? []).join(', ')}` };
        out[name] = choice;
        break;
      }
      default: {
        if (input.maxlength && raw.length > input.maxlength)
          return { field: name, message: `${what} is longer than ${input.maxlength} characters` };
        const re = pattern(input.validation);
        if (re && !re.test(raw)) return { field: name, message: `${what} is not valid: it must match the pattern shown` };
        out[name] = raw;
      }
    }
  }
  return { inputs: out };
}

export function DdlForm(props: {
  inputs: Record<string, DdlInput>;
  values: FormValues;
  onChange: (v: FormValues) => void;
  errorField?: string;
  errorMessage?: string;
}) {
  const entries = Object.entries(props.inputs);
  if (!entries.length) return <div class="muted">This action takes no inputs.</div>;
  const set = (name: string, v: string) => props.onChange({ ...props.values, [name]: v });
  return (
    <div class="ddl-form" data-testid="ddl-form">
      {entries.map(([name, input]) => {
        const value = props.values[name] ?? '';
        const id = `in-${name}`;
        let field;
        if (input.type === 'boolean') {
          field = (
            <select id={id} name={name} value={value} onChange={(e) => set(name, e.currentTarget.value)}>
              <option value="">{input.optional ? '(not set)' : 'choose…'}</option>
              <option value="true">true</option>
              <option value="false">false</option>
            </select>
          );
        } else if (input.type === 'list') {
          field = (
            <select id={id} name={name} value={value} onChange={(e) => set(name, e.currentTarget.value)}>
              <option value="">{input.optional ? '(not set)' : 'choose…'}</option>
              {(input.list ?? []).map((x) => (
                <option value={String(x)} key={String(x)}>
                  {String(x)}
                </option>
              ))}
            </select>
          );
        } else {
          const numeric = input.type === 'integer' || input.type === 'number' || input.type === 'float';
          field = (
            <input
              id={id}
              name={name}
              type={numeric ? 'number' : 'text'}
              step={input.type === 'integer' ? 1 : 'any'}
              maxLength={input.maxlength}
              value={value}
              required={!input.optional}
              onInput={(e) => set(name, e.currentTarget.value)}
            />
          );
        }
        return (
          <div class={`field ${props.errorField === name ? 'invalid' : ''}`} key={name}>
            <label for={id}>
              {label(name, input)} {input.optional ? <span class="muted">(optional)</span> : <span class="required">*</span>}{' '}
              <span class="muted type">{input.type}</span>
            </label>
            {field}
            {input.description ? <div class="muted desc">{input.description}</div> : null}
            {input.validation ? <div class="muted desc">must match {input.validation}</div> : null}
            {props.errorField === name && props.errorMessage ? (
              <div class="error" data-testid={`field-error-${name}`}>
                {props.errorMessage}
              </div>
            ) : null}
          </div>
        );
      })}
    </div>
  );
}
