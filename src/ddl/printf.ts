/**
 * The small printf subset aggregate formats use: `%s`, `%d`/`%i`, `%f` with optional
 * flags (`-`, `0`, `+`), width and precision (`%.2f`, `%0.2f`, `%8.1f`), and `%%`.
 * Arguments are consumed left to right; a missing one renders as empty.
 */
const SPEC = /%([-+0]*)(\d+)?(?:\.(\d+))?([sdif%])/g;

export function printf(format: string, ...args: Array<string | number>): string {
  let next = 0;
  return format.replace(SPEC, (_match, flags: string, width: string | undefined, precision: string | undefined, conv: string) => {
    if (conv === '%') return '%';
    const arg = args[next++];
    let text: string;
    let numeric = false;
    switch (conv) {
      case 's':
        text = arg === undefined ? '' : String(arg);
        if (precision !== undefined) text = text.slice(0, Number(precision));
        break;
      case 'd':
      case 'i':
        text = String(Math.trunc(Number(arg)));
        numeric = true;
        break;
      default:
        text = Number(arg).toFixed(precision === undefined ? 6 : Number(precision));
        numeric = true;
    }
    if (numeric && flags.includes('+') && !text.startsWith('-')) text = `+${text}`;
    const w = width === undefined ? 0 : Number(width);
    if (text.length >= w) return text;
    if (flags.includes('-')) return text.padEnd(w);
    if (numeric && flags.includes('0')) {
      const sign = /^[+-]/.test(text) ? text[0]! : '';
      return sign + text.slice(sign.length).padStart(w - sign.length, '0');
    }
    return text.padStart(w);
  });
}
