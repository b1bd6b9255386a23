// Run tracking reports its lines as `log` events, stamped when they happen.
import type { OnEvent } from '../events.js';

export function eventLog(onEvent: OnEvent): (message: string) => void {
  return (message) => onEvent({ type: 'log', at: new Date(), message });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
