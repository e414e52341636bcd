/**
 * Ctrl-C (SIGINT) and SIGTERM during a command, when the run owns the process (`signals` of
 * {@link cliIo}, set by the bin; an in-process run installs nothing, so it never touches its
 * host's signals).
 *
 * The first signal asks the run to stop (`requestInterrupt`, src/io/interrupt.ts) and prints
 * one line saying so: loops stop at their next stop point — no new batch goes to a model
 * worker, the batch running finishes, sessions are released, temporary files removed, no
 * file is committed any more — and the command ends with status 130 (SIGINT) or 143 (SIGTERM)
 * and a message naming the
 * files it had written in full before the stop (the commit journal), or saying that none was.
 * A second signal stops at once (`process.exit`, whose exit handlers still remove the
 * temporary files of unfinished captures), with the same truthful message.
 */
import { errors, interruptedStatus } from '../core/errors.js';
import { clearInterrupt, onCommit, requestInterrupt } from '../io/interrupt.js';
import type { CliIo } from './io.js';

export interface InterruptWatch {
  /** Files committed (written in full) since the watch began, in order. */
  readonly written: readonly string[];
  /** Stop watching: remove the handlers and withdraw a pending request. */
  stop(): void;
}

/**
 * Watch a run: record its commits, and with `io.signals` handle SIGINT/SIGTERM as described
 * in the module comment.
 */
export function watchInterrupts(io: CliIo): InterruptWatch {
  const written: string[] = [];
  const unsubscribe = onCommit((file) => written.push(file));
  if (!io.signals) return { written, stop: unsubscribe };
  let first: NodeJS.Signals | null = null;
  const handler = (signal: NodeJS.Signals) => {
    if (first === null) {
      first = signal;
      requestInterrupt(signal);
      io.stderr.write(`\nkrs: ${signal}: stopping after the current step (send it again to stop at once)\n`);
      return;
    }
    io.stderr.write(`krs: ${errors.interrupted(first, written).message}\n`);
    process.exit(interruptedStatus(first));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    written,
    stop() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
      unsubscribe();
      clearInterrupt();
    },
  };
}
