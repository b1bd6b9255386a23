// Progress lines as the anchors print them: `YYYY-MM-DD HH:MM:SS: message`, local time.
import type { Output } from '../../session.js';

export function timestamp(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function progressLog(out: Output): (line: string) => void {
  return (line) => void out.write(`${timestamp()}: ${line}\n`);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
