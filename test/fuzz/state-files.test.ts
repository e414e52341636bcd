/**
 * Property tests over state files: a valid `krs score --state-out` file with bytes flipped,
 * runs of bytes overwritten, or cut short, merged by `krs merge`, either gives the intact
 * file's result exactly (a change the checksums prove harmless, e.g. in the header's padding)
 * or a one-line error (exit 3) — never a changed result, an internal error, a stack trace or a
 * hang.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { krs } from '../helpers/cli.js';
import { fixturePath } from '../helpers/fixtures.js';
import { params } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'krs-fuzz-states-'));
let valid: Uint8Array;
let intact: Record<string, unknown>;
beforeAll(async () => {
  const file = join(dir, 'valid.krs');
  const r = await krs(
    'score',
    '--task',
    'classification',
    '--teacher',
    fixturePath('score/cls-teacher.npz'),
    '--student',
    fixturePath('score/cls-student.npz'),
    '--state-out',
    file,
  );
  expect(r.status).toBe(0);
  valid = new Uint8Array(readFileSync(file));
  const m = await krs('merge', file, '--json');
  expect(m.status).toBe(0);
  intact = JSON.parse(m.stdout);
});

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('overwrite' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
);

describe('krs merge on mutated state files', () => {
  it('gives the intact result or exits 3 with one line, never a changed result or 1', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (ms) => {
        let bytes = Uint8Array.from(valid);
        for (const m of ms) {
          const at = m.at % bytes.length;
          if (m.kind === 'flip') bytes[at]! ^= 1 << m.bit;
          else if (m.kind === 'overwrite') bytes.set(m.bytes.subarray(0, bytes.length - at), at);
          else bytes = bytes.subarray(0, at);
        }
        const file = join(dir, `m${n++}.krs`);
        writeFileSync(file, bytes);
        const r = await krs('merge', file, '--json');
        expect([0, 3]).toContain(r.status);
        if (r.status !== 0) {
          expect(r.stderr.trim().split('\n')).toHaveLength(1);
          expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
        } else {
          const out = JSON.parse(r.stdout);
          for (const k of ['n', 'fss', 'aoa', 'krs', 'ci95', 'layers']) expect(out[k], k).toEqual(intact[k]);
        }
      }),
      params(60),
    );
  });
});
