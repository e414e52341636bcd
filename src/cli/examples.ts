/**
 * The examples that end each command's `--help` (two or three runnable lines each), kept in
 * one place so that `buildProgram` adds them to every command and a test checks them all.
 * Paths are the ones the README uses: the demo's captures and the repository's fixtures.
 */
import type { Command } from 'commander';

/** Examples by command name. */
export const COMMAND_EXAMPLES: Readonly<Record<string, readonly string[]>> = {
  score: [
    'krs score --task classification --teacher krs-demo/captures/teacher.npz --student krs-demo/captures/kd-T4.npz',
    'krs score --task classification --teacher t.npz --student a.npz --student b.npz --report report.html',
    'krs score --task nlp --teacher t.safetensors --student s.safetensors --alpha 0.5 --json',
  ],
  layers: ['krs layers --model teacher.onnx', 'krs layers --model student.onnx --json'],
  capture: [
    'krs capture --model teacher.onnx --input mnist --limit 2000 --out teacher.npz',
    'krs capture --model lstm.onnx --input series.csv --window 24 --horizon 1 --standardise --out lstm.npz',
  ],
  eval: [
    'krs eval --teacher teacher.onnx --student student.onnx --input mnist --task classification',
    'krs eval --teacher t.onnx --student s.onnx --input mnist --task classification --all-pairs --save-captures caps/',
  ],
  analyze: ['krs analyze experiments.csv', 'krs analyze experiments.csv --markdown summary.md --csv tables/ --report report.html'],
  explain: [
    'krs explain --teacher krs-demo/captures/teacher.npz --student krs-demo/captures/kd-T4.npz --sample 7',
    'krs explain --teacher t.npz --student s.npz --worst 5 --json',
  ],
  demo: ['krs demo --quick', 'krs demo --study --seed 2', 'krs demo --task regression'],
  heatmap: ['krs heatmap --teacher t.npz --student s.npz --out cka.svg', 'krs heatmap --from eval-result.json --out cka.png'],
  merge: ['krs merge s0.krs s1.krs s2.krs s3.krs', 'krs merge s*.krs --json --report report.html', 'krs merge s0.krs s1.krs --state-out half.krs'],
  serve: [
    'krs serve',
    'krs serve --host 0.0.0.0 --store postgres://krs@db:5432/krs --allowed-host krs.example.org',
    'krs serve token create --scope write --name trainer',
  ],
};

/** End the help of every command of `program` that has examples with them. */
export function addExamples(program: Command): void {
  for (const command of program.commands) {
    const lines = COMMAND_EXAMPLES[command.name()];
    if (lines) command.addHelpText('after', `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}`);
  }
}
