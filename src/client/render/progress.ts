// MCollective's progress bar ( * [ ====> ] 3 / 10 ), drawn only on a terminal.
import cliProgress from 'cli-progress';
import type { Output } from '../session.js';

export interface Progress {
  start(total: number): void;
  tick(): void;
  stop(): void;
}

const none: Progress = { start() {}, tick() {}, stop() {} };

export function progressFor(out: Output, enabled: boolean): Progress {
  if (!enabled || !out.isTTY) return none;
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
    stop: () => {
      bar.stop();
    },
  };
}
