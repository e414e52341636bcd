/**
 * Ctrl-C (or SIGTERM) during a long command: exit with status 130 through `process.exit`,
 * which runs the 'exit' handlers — the capture writers remove their temporary files there —
 * and nothing is renamed into place, so no complete-looking capture is left behind.
 *
 * Only when the run owns the process (`signals` of {@link cliIo}, set by the bin): an
 * in-process run installs nothing, so it never exits its host.
 */
import { cliIo } from './io.js';

/** Install SIGINT/SIGTERM handlers for the duration of a command; returns the uninstaller. */
export function onInterrupt(): () => void {
  const io = cliIo();
  if (!io.signals) return () => {};
  const handler = (signal: NodeJS.Signals) => {
    io.stderr.write(`\nkrs: interrupted (${signal}); no capture was written\n`);
    process.exit(130);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
