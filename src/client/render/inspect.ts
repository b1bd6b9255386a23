// Ruby-style inspect, so `-v` output reads as MCollective operators know it: {:summary=>"…", :count=>2}.
export function rubyInspect(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(rubyInspect).join(', ')}]`;
  if (typeof value === 'object') {
    const parts = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${symbol(k)}=>${rubyInspect(v)}`);
    return `{${parts.join(', ')}}`;
  }
  return JSON.stringify(value) ?? String(value);
}

function symbol(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*[?!]?$/.test(key) ? `:${key}` : JSON.stringify(key);
}

/** A reply value as one line of text: strings bare, nothing as '', structures as JSON (never `[object Object]`). */
export function textOf(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** A value as shown beside its DDL label: strings bare, structures as indented JSON. */
export function displayValue(value: unknown, indent: number): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value !== 'object') return String(value);
  const json = JSON.stringify(value, null, 2);
  return json.split('\n').join('\n' + ' '.repeat(indent));
}
