/**
 * Spawning the real bin and signalling it at an exact moment: the KRS_PAUSE_AT failpoints
 * (src/io/interrupt.ts) make the process announce `krs: paused at <point>` on stderr and wait;
 * the signal is sent once the announcement arrives, however slow the machine.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { KRS_BIN } from './cli.js';

/** How a spawned command ended. */
export interface Outcome {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface PausedRunOptions {
  /** The failpoint to pause at (KRS_PAUSE_AT), or null to run straight through. */
  pause: string | null;
  /** Sent once the process reports pausing at `pause`; null sends nothing. */
  signal: NodeJS.Signals | null;
  /** Further failpoints the run must not reach (they would announce themselves on stderr). */
  later?: readonly string[];
  /**
   * A file the paused process waits for (KRS_PAUSE_UNTIL), created right after the signal:
   * the signal then arrives *during* a synchronous step, which goes on only afterwards.
   */
  release?: string;
  env?: Record<string, string>;
  cwd?: string;
}

/** Run `krs args…` as a child process, pausing and signalling it as `o` says. */
export function runPaused(args: readonly string[], o: PausedRunOptions): Promise<Outcome> {
  const points = o.pause ? [o.pause, ...(o.later ?? [])] : [];
  const child: ChildProcess = spawn(process.execPath, [KRS_BIN, ...args], {
    env: {
      ...process.env,
      ...(points.length ? { KRS_PAUSE_AT: points.join(',') } : {}),
      ...(o.release ? { KRS_PAUSE_UNTIL: o.release } : {}),
      ...o.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(o.cwd ? { cwd: o.cwd } : {}),
  });
  let stdout = '';
  let stderr = '';
  let sent = false;
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => {
    stderr += d;
    if (!sent && o.signal && o.pause && stderr.includes(`krs: paused at ${o.pause}`)) {
      sent = true;
      child.kill(o.signal);
      if (o.release) writeFileSync(o.release, '');
    }
  });
  return new Promise((resolve) => child.on('close', (status, sig) => resolve({ status, signal: sig, stdout, stderr })));
}
