/**
 * The `krs` command line as a function: parse the arguments, run the command, and return
 * the exit status instead of exiting. Errors become one line on the io's stderr
 * (`krs: …`) and a status by kind: usage 2, data 3, environment 4 (a file that cannot be
 * written: permissions, read-only or full file system, a folder where a file goes),
 * interrupted 130 (SIGINT) or 143 (SIGTERM), internal 1; with --json the error's JSON
 * payload also goes to stdout.
 * `--help` and `--version` print to stdout and return 0.
 *
 * A run that was interrupted (SIGINT/SIGTERM, see `interrupt.ts`) returns 130/143 with the
 * message of `errors.interrupted`, naming the files it had written in full — whether the
 * command then failed, stopped at a stop point, or had already finished its work.
 *
 * Each call builds a fresh commander program, so nothing of one run's parsing survives into
 * the next; output goes to the io given (see {@link CliIo}), never to the process's streams
 * unless that io is {@link processIo}.
 */
import { Command, CommanderError } from 'commander';
import { EXIT_STATUS, errors, interruptedStatus, KrsError, type OptionNamer } from '../core/errors.js';
import { interruptRequested, yieldToEvents } from '../io/interrupt.js';
import { VERSION } from '../version.js';
import { registerAnalyze } from './analyze.js';
import { registerCapture } from './capture.js';
import { registerDemo } from './demo.js';
import { registerEval } from './eval.js';
import { addExamples } from './examples.js';
import { registerExplain } from './explain.js';
import { registerHeatmap } from './heatmap.js';
import { watchInterrupts } from './interrupt.js';
import { type CliIo, processIo, withCliIo } from './io.js';
import { registerLayers } from './layers.js';
import { registerMerge } from './merge.js';
import { flagNamer } from './option-names.js';
import { safeStream } from './safe-output.js';
import { registerScore } from './score.js';
import { registerServe } from './serve.js';

export type { CliIo, CliStream } from './io.js';

/** The commander program of every command, writing help and version text to `io.stdout`. */
export function buildProgram(io: CliIo): Command {
  const program = new Command('krs')
    .description('Knowledge Retention Score: how similar a student network is to its teacher, in features and outputs, on the same inputs')
    .version(VERSION)
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: () => {},
      getOutHelpWidth: () => io.stdout.columns ?? 80,
      getErrHelpWidth: () => io.stderr.columns ?? 80,
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    });
  registerScore(program);
  registerLayers(program);
  registerCapture(program);
  registerEval(program);
  registerAnalyze(program);
  registerExplain(program);
  registerDemo(program);
  registerHeatmap(program);
  registerMerge(program);
  registerServe(program);
  addExamples(program);
  return program;
}

/**
 * Run `krs` with `argv` (the arguments after `krs`, e.g. `['score', '--task', …]`).
 * Fields of `io` left out are the process's own, except `signals` (false) and `argv`
 * (`argv`). Never throws and never exits the process: every failure is a status.
 */
export async function runCli(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  const given: CliIo = { ...processIo(false), ...io, argv: io.argv ?? [...argv] };
  let namer: OptionNamer = (o) => o;
  const full: CliIo = { ...given, stdout: safeStream(given.stdout, () => namer), stderr: safeStream(given.stderr, () => namer) };
  return withCliIo(full, async () => {
    const program = buildProgram(full);
    namer = flagNamer(program);
    const watch = watchInterrupts(full);
    let failure: unknown = null;
    let failed = false;
    try {
      await program.parseAsync([...argv], { from: 'user' });
    } catch (err) {
      failed = true;
      failure = err;
    }
    // A signal that came during the run's last synchronous stretch is still in the event
    // loop's queue: let its handler run, so the run ends as interrupted (with the files it
    // wrote in full) instead of the signal being dropped with the handlers.
    if (full.signals) await yieldToEvents();
    const signal = interruptRequested();
    watch.stop();
    if (signal !== null) return report(errors.interrupted(signal, watch.written), full, argv.includes('--json'));
    if (!failed) return 0;
    if (failure instanceof KrsError && failure.code === 'INTERRUPTED') failure = errors.interrupted(String(failure.details.signal), watch.written);
    return report(failure instanceof KrsError ? failure.withOptionNames(flagNamer(program)) : failure, full, argv.includes('--json'));
  });
}

/** Print a failure as one line (plus the JSON payload with --json) and return its exit status. */
function report(err: unknown, io: CliIo, json: boolean): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return 0;
    const message = err.message.replace(/^error:\s*/, '');
    io.stderr.write(`krs: ${message}\n`);
    if (json) io.stdout.write(`${JSON.stringify({ error: { code: 'BAD_OPTION', kind: 'usage', message } })}\n`);
    return EXIT_STATUS.usage;
  }
  if (err instanceof KrsError) {
    io.stderr.write(`krs: ${err.message}\n`);
    if (json) io.stdout.write(`${JSON.stringify(err.toJSON())}\n`);
    return err.code === 'INTERRUPTED' ? interruptedStatus(String(err.details.signal)) : EXIT_STATUS[err.kind];
  }
  const message = err instanceof Error ? err.message : String(err);
  io.stderr.write(`krs: internal error: ${message.split('\n')[0]} (set KRS_DEBUG=1 for the stack)\n`);
  if (io.env.KRS_DEBUG && err instanceof Error) io.stderr.write(`${err.stack}\n`);
  return EXIT_STATUS.internal;
}
