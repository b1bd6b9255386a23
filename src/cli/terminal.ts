// Where `mco` writes what the client applications report: results on stdout, what is said about them on stderr,
// colour and the progress bar only when stdout is a terminal.
import { createRequire } from 'node:module';
import type { AppEvent, OnEvent } from '../client/apps/events.js';
import { ansi, plain, type Palette } from '../client/render/palette.js';
import type { Rendered } from '../client/render/rendered.js';
import type { DiscoveryProgress } from '../client/request.js';
import type { ClientSession, Output } from '../client/session.js';

export function paletteFor(stream: { isTTY?: boolean }, enabled = true): Palette {
  return enabled && stream.isTTY && !process.env.NO_COLOR ? ansi : plain;
}

export interface Progress {
  start(total: number): void;
  tick(): void;
  stop(): void;
}

const noProgress: Progress = { start() {}, tick() {}, stop() {} };

/** MCollective's progress bar ( * [ ====> ] 3 / 10 ), drawn only on a terminal. */
export function progressBar(out: Output, enabled: boolean): Progress {
  if (!enabled || !out.isTTY) return noProgress;
  // Required only when a bar is drawn: output to a pipe never loads it.
  const cliProgress = createRequire(import.meta.url)('cli-progress') as typeof import('cli-progress');
  const bar = new cliProgress.SingleBar(
    {
      format: ' * [ {bar} ] {value} / {total}',
      barCompleteChar: '=',
      barIncompleteChar: ' ',
      barsize: 60,
      hideCursor: true,
      clearOnComplete: false,
      stream: out as NodeJS.WriteStream,
      fps: 10,
    },
    cliProgress.Presets.legacy,
  );
  let value = 0;
  return {
    start: (total) => bar.start(total, 0),
    tick: () => bar.update(++value),
    stop: () => bar.stop(),
  };
}

/**
 * MCollective's `-v` discovery line, `Discovering hosts using the mc method for 2 second(s) .... 3`: on a terminal
 * a dot for each node as it answers, then how many were found.
 */
export function discoveryLine(out: Output): DiscoveryProgress {
  let dots = 0;
  return {
    start: (method, timeoutMs) => void out.write(`Discovering hosts using the ${method} method for ${timeoutMs / 1000} second(s) `),
    found: () => {
      if (!out.isTTY) return;
      dots++;
      out.write('.');
    },
    end: (count) => void out.write(count === undefined ? '\n' : `${dots > 0 ? '' : '....'} ${count}\n`),
  };
}

export class Terminal {
  readonly palette: Palette;

  constructor(
    color: boolean,
    readonly out: Output = process.stdout,
    readonly err: Output = process.stderr,
  ) {
    this.palette = paletteFor(out, color);
  }

  write(r: Rendered): void {
    if (r.out) this.out.write(r.out);
    if (r.err) this.err.write(r.err);
  }

  /** Request events drawn as the progress bar (when enabled and stdout is a terminal); other events ignored. */
  requestProgress(enabled: boolean): OnEvent {
    const bar = progressBar(this.out, enabled);
    return (e: AppEvent) => {
      if (e.type === 'request_start') bar.start(e.expected);
      else if (e.type === 'reply') bar.tick();
      else if (e.type === 'request_end') bar.stop();
    };
  }
}

export const terminalFor = (session: Pick<ClientSession, 'defaults'>) => new Terminal(session.defaults.color);
