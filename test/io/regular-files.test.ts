/**
 * Inputs must be regular files (issue 22, item 18): a device reports size 0, so no size
 * limit bounds a read of it — `/dev/zero` read as a capture, a COCO file, an experiments
 * table, a PNG label map, a state file or an ONNX model used to grow without end. Each reader
 * refuses it at once with a one-line BAD_FILE naming the path.
 */
import { describe, it } from 'vitest';
import { readExperimentsTable } from '../../src/analysis/node-experiments.js';
import { openCapture } from '../../src/io/node-capture.js';
import { readCocoResults } from '../../src/io/node-coco.js';
import { fingerprint } from '../../src/io/node-fingerprint.js';
import { readLabelMap } from '../../src/io/node-label-map.js';
import { readStateFile } from '../../src/io/node-state-file.js';
import { loadModel } from '../../src/runtime/node-onnx.js';
import { expectKrsError } from '../helpers/fixtures.js';

const readers: [string, (path: string) => unknown][] = [
  ['a capture', (p) => openCapture(p)],
  ['COCO results', (p) => readCocoResults(p)],
  ['an experiments table', (p) => readExperimentsTable(p)],
  ['a PNG label map', (p) => readLabelMap(p)],
  ['a state file', (p) => readStateFile(p)],
  ['an input fingerprint', (p) => fingerprint(p)],
  ['an ONNX model', (p) => loadModel(p)],
];

describe.each(['/dev/zero', '/dev/null'])('%s', (device) => {
  it.each(readers)('as %s: BAD_FILE at once, naming it', async (_what, read) => {
    await expectKrsError(() => read(device), 'BAD_FILE', new RegExp(`${device.replaceAll('/', '\\/')}:? is not a regular file`));
  });
});
