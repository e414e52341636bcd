/**
 * The progress bar of long commands, on stderr: samples done, samples/s and ETA
 * (cli-progress), written to the run's stderr ({@link cliIo}). When that is a terminal it
 * redraws in place; elsewhere (logs, CI, in-process runs) it prints a line every 10 s. The models run in a worker thread, so this thread is free to redraw.
 */
import cliProgress from 'cli-progress';
import { cliIo } from './io.js';

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

const silent: Progress = { update() {}, stop() {} };

/** A bar labelled `label`, or a no-op when `enabled` is false. */
export function progressBar(label: string, enabled: boolean): Progress {
  if (!enabled) return silent;
  const stream = cliIo().stderr;
  const tty = Boolean(stream.isTTY);
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} {bar} {percentage}% | {value}/{total} samples | {speed} samples/s | ETA {eta_formatted}`,
      stream: stream as NodeJS.WritableStream,
      barsize: 24,
      hideCursor: tty ? true : null,
      noTTYOutput: !tty,
      notTTYSchedule: 10_000,
      etaBuffer: 20,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const t0 = performance.now();
  return {
    update(done, total) {
      const speed = done > 0 ? (done / ((performance.now() - t0) / 1000)).toFixed(0) : '—';
      if (!started) {
        bar.start(total, done, { speed });
        started = true;
      } else bar.update(done, { speed });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
