/**
 * Where a CLI run writes and what it may touch of the process, so that `runCli` can run
 * in-process (tests, embedding) as well as from the `krs` bin.
 *
 * The commands never use `process.stdout`, `process.stderr`, `process.argv` or
 * `process.env` directly: they call {@link cliIo}, which returns the io of the run they
 * belong to. The io travels with the run's async context (AsyncLocalStorage), so concurrent
 * in-process runs do not see each other's streams, and the register functions of the
 * commands keep their signatures. Outside any run (a command function called directly)
 * {@link cliIo} is the process's own io, without signal handlers.
 *
 * What stays process-wide: relative paths resolve against `process.cwd()` (no command
 * changes it), and ONNX Runtime's native messages go to the process's stderr.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** A text sink: `write` is all the commands use; `isTTY` turns redrawn progress bars on. */
export interface CliStream {
  write(text: string): unknown;
  /** A terminal: progress bars redraw in place (otherwise a line every 10 s, or none). */
  readonly isTTY?: boolean;
  /** Terminal width, used by progress bars on a terminal. */
  readonly columns?: number;
}

export interface CliIo {
  readonly stdout: CliStream;
  readonly stderr: CliStream;
  /** Environment variables the CLI reads (KRS_DEBUG: print the stack of internal errors). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The arguments of the run, without `node` and the script (for report footers). */
  readonly argv: readonly string[];
  /**
   * Install SIGINT/SIGTERM handlers during long commands, which print a line and end the
   * process with status 130 (the bin: true). In-process callers leave it false: a signal
   * then does to the host process whatever the host decided.
   */
  readonly signals: boolean;
}

const current = new AsyncLocalStorage<CliIo>();

/** The real process's streams, environment and arguments. */
export function processIo(signals = false): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, argv: process.argv.slice(2), signals };
}

/** The io of the run this code belongs to; the process's own (without signal handlers) outside any run. */
export function cliIo(): CliIo {
  return current.getStore() ?? processIo(false);
}

/** Run `fn` (and everything it awaits) with `io` as {@link cliIo}. */
export function withCliIo<T>(io: CliIo, fn: () => T): T {
  return current.run(io, fn);
}
