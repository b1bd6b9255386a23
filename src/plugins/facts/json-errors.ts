/**
 * Finds the line of a JSON syntax error. V8's messages carry a character position for some
 * errors and none for others ("Unexpected token 'o', ... is not valid JSON"), so when the
 * message has no usable position the offending character is located by parsing prefixes:
 * a prefix that stops before the error only fails for running out of input, while every
 * prefix that contains the error fails on it. A binary search over prefix lengths finds the
 * first such character in a handful of parses, paid only when a file is already broken.
 */
export function jsonErrorLine(text: string, message: string): number {
  const explicitLine = /\(line (\d+)/.exec(message);
  if (explicitLine) return Number(explicitLine[1]);
  const position = positionIn(message);
  if (position !== undefined && position < text.length) return lineAt(text, position);
  return lineAt(text, firstBadCharacter(text));
}

function firstBadCharacter(text: string): number {
  let low = 1;
  let high = text.length;
  if (!failsInside(text, high)) return text.trimEnd().length; // The text is only cut short.
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    if (failsInside(text, middle)) high = middle;
    else low = middle + 1;
  }
  return low - 1;
}

/** True when the first `length` characters hold a syntax error other than ending too soon. */
function failsInside(text: string, length: number): boolean {
  try {
    JSON.parse(text.slice(0, length));
    return false;
  } catch (err) {
    const message = (err as Error).message;
    if (/end of JSON input/i.test(message)) return false;
    const position = positionIn(message);
    return position === undefined || position < length;
  }
}

function positionIn(message: string): number | undefined {
  const match = /at position (\d+)/.exec(message);
  return match ? Number(match[1]) : undefined;
}

function lineAt(text: string, index: number): number {
  return text.slice(0, Math.max(0, index)).split('\n').length;
}

/** V8 quotes a slice of the input after some messages; the line number says where, so drop it. */
export function summariseJsonError(message: string): string {
  return message.replace(/,\s*(\.\.\.)?".*"(\.\.\.)? is not valid JSON$/s, '');
}
