// Colours for text output: ANSI, or none. Whether a stream gets colour is the terminal's business (cli/).
export interface Palette {
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  bold(s: string): string;
}

const wrap = (code: number) => (s: string) => `\u001b[${code}m${s}\u001b[0m`;

export const plain: Palette = { red: (s) => s, green: (s) => s, yellow: (s) => s, bold: (s) => s };
export const ansi: Palette = { red: wrap(31), green: wrap(32), yellow: wrap(33), bold: wrap(1) };
