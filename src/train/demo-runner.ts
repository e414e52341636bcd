/**
 * Node-only: what the MNIST demo (`demo.ts`) and the regression demo (`regression/demo.ts`)
 * share as experiment runners: students trained one after another with a stage line each, the
 * files of a demo run, and the tables every demo writes (experiments.csv/.json — pre = the
 * baseline, post = each other student — and the per-epoch log).
 */
import * as path from 'node:path';
import { writeFileAtomic } from '../io/node-atomic-write.js';
import { type ExperimentRow, experimentsCsv } from './experiments.js';

/** What a demo run writes (the studies write all but the epoch table and the captures). */
export interface DemoFiles {
  out: string;
  results: string;
  experimentsCsv: string;
  experimentsJson: string;
  epochsCsv: string;
  captures: Record<string, string>;
  analysis: string | null;
  report: string | null;
}

/** A student a demo trains: its id (capture name, experiment method) and a readable label. */
export interface DemoStudentSpec {
  readonly id: string;
  readonly label: string;
}

/** Train the students in order (the baseline first), announcing each with a stage line. */
export async function trainInOrder<S extends DemoStudentSpec, R>(
  specs: readonly S[],
  emit: (e: { type: 'stage'; message: string }) => void,
  train: (spec: S) => Promise<R>,
): Promise<R[]> {
  const students: R[] = [];
  for (const [i, spec] of specs.entries()) {
    emit({ type: 'stage', message: `student ${i + 1}/${specs.length}: ${spec.id} (${spec.label})` });
    students.push(await train(spec));
  }
  return students;
}

/** The files of a demo run in `out`: results, tables, the captures by model. */
export function demoFiles(out: string, captures: Record<string, string>): DemoFiles {
  return {
    out,
    results: path.join(out, 'results.json'),
    experimentsCsv: path.join(out, 'experiments.csv'),
    experimentsJson: path.join(out, 'experiments.json'),
    epochsCsv: path.join(out, 'epochs.csv'),
    captures,
    analysis: null,
    report: null,
  };
}

/** Write experiments.csv/.json and the epoch table (CSV text) to the run's files. */
export function writeDemoTables(files: DemoFiles, experiments: readonly ExperimentRow[], epochs: string): void {
  writeFileAtomic(files.experimentsCsv, experimentsCsv(experiments), 'the experiments table');
  writeFileAtomic(files.experimentsJson, `${JSON.stringify(experiments, null, 2)}\n`, 'the experiments table');
  writeFileAtomic(files.epochsCsv, epochs, 'the epoch table');
}
