#!/usr/bin/env node
/**
 * The `krs` command. Thin: each command parses its options, calls the library and prints.
 * Errors become one line on stderr (`krs: …`) and an exit status by kind: usage 2, data 3,
 * internal 1; with --json the error's JSON payload also goes to stdout.
 */
import { Command, CommanderError } from 'commander';
import { EXIT_STATUS, KrsError } from '../core/errors.js';
import { VERSION } from '../version.js';
import { registerScore } from './score.js';
import { registerLayers } from './layers.js';
import { registerCapture } from './capture.js';
import { registerEval } from './eval.js';
import { registerAnalyze } from './analyze.js';
import { registerExplain } from './explain.js';
import { registerDemo } from './demo.js';
import { registerHeatmap } from './heatmap.js';

function main(argv: string[]): Promise<void> {
  const program = new Command('krs')
    .description('Knowledge Retention Score: how much of a teacher network a distilled student retained')
    .version(VERSION)
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ writeErr: () => {} });
  registerScore(program);
  registerLayers(program);
  registerCapture(program);
  registerEval(program);
  registerAnalyze(program);
  registerExplain(program);
  registerDemo(program);
  registerHeatmap(program);
  return program.parseAsync(argv).then(() => undefined);
}

function fail(err: unknown, json: boolean): never {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) process.exit(0);
    const message = err.message.replace(/^error:\s*/, '');
    process.stderr.write(`krs: ${message}\n`);
    if (json) process.stdout.write(`${JSON.stringify({ error: { code: 'BAD_OPTION', kind: 'usage', message } })}\n`);
    process.exit(EXIT_STATUS.usage);
  }
  if (err instanceof KrsError) {
    process.stderr.write(`krs: ${err.message}\n`);
    if (json) process.stdout.write(`${JSON.stringify(err.toJSON())}\n`);
    process.exit(EXIT_STATUS[err.kind]);
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`krs: internal error: ${message.split('\n')[0]} (set KRS_DEBUG=1 for the stack)\n`);
  if (process.env.KRS_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  process.exit(EXIT_STATUS.internal);
}

main(process.argv).catch((err) => fail(err, process.argv.includes('--json')));
