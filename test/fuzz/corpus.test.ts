/**
 * The malformed-file corpus (test/fixtures/fuzz/, written by make_corpus.ts): every file is
 * read by the reader its manifest names and must give exactly the outcome written there —
 * 'ok' (every array read whole and by rows), or a one-line KrsError of the stated code whose
 * message names the file and says what is wrong. Every file in the folder must be listed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readExperimentsTable } from '../../src/analysis/node-experiments.js';
import { KrsError } from '../../src/core/errors.js';
import { openCapture } from '../../src/io/node-capture.js';
import { readCocoResults } from '../../src/io/node-coco.js';
import { readLabelMap } from '../../src/io/node-label-map.js';
import { fixturePath } from '../helpers/fixtures.js';

interface Case {
  file: string;
  reader: 'capture' | 'labelmap' | 'coco' | 'experiments';
  expect: string;
  contains?: string;
  why: string;
}

const DIR = fixturePath('fuzz/corpus');
const CASES = JSON.parse(fs.readFileSync(fixturePath('fuzz/manifest.json'), 'utf8')) as Case[];

/** Read `file` fully with `reader`: every key whole and its first and last rows. */
function readAll(reader: Case['reader'], file: string): void {
  switch (reader) {
    case 'capture': {
      const c = openCapture(file);
      for (const k of c.keys()) {
        const t = c.read(k);
        expect(t.data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
        const n = t.shape[0] ?? 0;
        if (n > 0) c.readRows(k, n - 1, n);
      }
      return;
    }
    case 'labelmap':
      readLabelMap(file);
      return;
    case 'coco':
      readCocoResults(file);
      return;
    case 'experiments':
      readExperimentsTable(file);
      return;
  }
}

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? walk(path.join(dir, d.name)) : [path.join(dir, d.name)]));
}

describe('malformed-file corpus', () => {
  it('lists every file of the corpus folder in its manifest', () => {
    const listed = new Set(CASES.map((c) => c.file));
    const found = walk(DIR).map((f) => path.relative(DIR, f).split(path.sep).join('/'));
    expect(found.sort()).toEqual([...listed].sort());
  });

  it.each(CASES.map((c) => [c.file, c] as const))('%s', (_, c) => {
    const file = path.join(DIR, c.file);
    let got: unknown;
    try {
      readAll(c.reader, file);
    } catch (e) {
      got = e;
    }
    if (c.expect === 'ok') {
      expect(got, `${c.why}: ${(got as Error | undefined)?.message}`).toBeUndefined();
      return;
    }
    expect(got, c.why).toBeInstanceOf(KrsError);
    const k = got as KrsError;
    expect(k.code, `${c.why}: ${k.message}`).toBe(c.expect);
    expect(k.message).not.toContain('\n');
    expect(k.message).toContain(path.basename(c.file));
    if (c.contains) expect(k.message).toContain(c.contains);
  });
});
