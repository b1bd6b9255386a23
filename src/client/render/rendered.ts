// What a renderer hands back: the text for the two streams a command line has. `out` carries the result
// (the report, the JSON document); `err` what is said about it. A caller writes `out` first, then `err`.
import type { Palette } from './palette.js';

export interface Rendered {
  out: string;
  err: string;
}

export const toOut = (out: string): Rendered => ({ out, err: '' });
export const toErr = (err: string): Rendered => ({ out: '', err });

/** How an outcome is shown: a JSON document, or text (`verbose`: MCollective's -v), coloured by `palette`. */
export interface RenderOptions {
  json: boolean;
  verbose: boolean;
  palette: Palette;
}

export const json = (value: unknown): string => JSON.stringify(value, null, 2) + '\n';
