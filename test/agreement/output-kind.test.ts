import { describe, expect, it } from 'vitest';
import { klAgreement } from '../../src/agreement/classification.js';
import { describeKinds, inferOutputKind, outputKindScan, resolveOutputKinds, scoreKind, sigmoidToLogits } from '../../src/agreement/output-kind.js';
import { KrsError } from '../../src/core/errors.js';
import type { Tensor } from '../../src/core/tensor.js';

const t = (rows: number[][], dtype: 'float32' | 'float64' | 'int32' = 'float64'): Tensor => {
  const flat = rows.flat();
  const data = dtype === 'float32' ? Float32Array.from(flat) : dtype === 'int32' ? Int32Array.from(flat) : Float64Array.from(flat);
  return { dtype, shape: [rows.length, rows[0]!.length], data };
};

/** A seeded uniform generator (mulberry32), so the synthetic arrays are fixed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

function logitsRows(n: number, C: number, seed: number): number[][] {
  const r = rng(seed);
  return Array.from({ length: n }, () => Array.from({ length: C }, () => (r() - 0.5) * 8));
}
const softmax = (z: number[]) => {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};
const sigmoid = (z: number[]) => z.map((v) => 1 / (1 + Math.exp(-v)));

describe('inferOutputKind', () => {
  const z = logitsRows(200, 10, 1);

  it('tells logits, probabilities, sigmoid scores and label ids apart', () => {
    expect(inferOutputKind(t(z), 'x')).toMatchObject({ kind: 'logits' });
    expect(inferOutputKind(t(z.map(softmax), 'float32'), 'x')).toMatchObject({ kind: 'probs' });
    expect(inferOutputKind(t(z.map(sigmoid), 'float32'), 'x')).toMatchObject({ kind: 'sigmoid' });
    expect(inferOutputKind(t([[3], [0], [9]], 'int32'), 'x')).toMatchObject({ kind: 'labels' });
    // A segmentation label map n × H × W (integers stored as floats).
    const map: Tensor = { dtype: 'float32', shape: [2, 2, 3], data: Float32Array.from([0, 1, 2, 2, 1, 0, 5, 5, 0, 0, 0, 1]) };
    expect(inferOutputKind(map, 'x')).toMatchObject({ kind: 'labels' });
  });

  it('gives its reason with the facts that decided it', () => {
    expect(inferOutputKind(t(z), 'x').reason).toMatch(/^values outside \[0, 1\] \(-?\d/);
    expect(inferOutputKind(t(z.map(softmax)), 'x').reason).toBe('every value is in [0, 1] and each of the 200 rows sums to 1 (within 0.001)');
    expect(inferOutputKind(t(z.map(sigmoid)), 'x').reason).toMatch(/^every value is in \[0, 1\] but 200 of 200 rows do not sum to 1 \(row 0 sums to \d/);
    expect(inferOutputKind(t([[3], [0], [9]]), 'x').reason).toBe('every value is a non-negative integer (0 … 9)');
  });

  it('edge cases: a sigmoid row summing to 1 by chance, one-hot rows, constant arrays, one class, negative integers, no values', () => {
    const sig = z.map(sigmoid);
    sig[3] = [0.5, 0.25, 0.25, 0, 0, 0, 0, 0, 0, 0]; // sums to 1 exactly
    expect(inferOutputKind(t(sig), 'x').kind).toBe('sigmoid');
    expect(inferOutputKind(t(sig), 'x').reason).toMatch(/199 of 200 rows do not sum to 1/);
    // A single row that sums to 1 by chance is read as probabilities: nothing else to go by.
    expect(inferOutputKind(t([sig[3]!]), 'x').kind).toBe('probs');
    // One-hot rows are a hard distribution, not labels.
    expect(
      inferOutputKind(
        t([
          [0, 1, 0],
          [1, 0, 0],
        ]),
        'x',
      ),
    ).toMatchObject({ kind: 'probs', reason: 'every row is one-hot (a 1 and 2 zeros)' });
    // Multi-hot 0/1 rows (a binary mask) are labels.
    expect(
      inferOutputKind(
        t([
          [0, 1, 1],
          [1, 0, 0],
        ]),
        'x',
      ).kind,
    ).toBe('labels');
    // Constant arrays: uniform probabilities, or no preference under any reading → logits.
    expect(
      inferOutputKind(
        t([
          [0.25, 0.25, 0.25, 0.25],
          [0.25, 0.25, 0.25, 0.25],
        ]),
        'x',
      ).kind,
    ).toBe('probs');
    expect(
      inferOutputKind(
        t([
          [0, 0, 0],
          [0, 0, 0],
        ]),
        'x',
      ),
    ).toMatchObject({ kind: 'logits', reason: expect.stringMatching(/every value is 0/) });
    expect(inferOutputKind(t([[0.5, 0.5, 0.5]]), 'x').kind).toBe('logits');
    // One class: a score in [0, 1] per sample is a sigmoid score.
    expect(inferOutputKind(t([[0.2], [0.9], [0.4]]), 'x').kind).toBe('sigmoid');
    expect(inferOutputKind(t([[-2, 3, 1]]), 'x').kind).toBe('logits');
    expect(inferOutputKind({ dtype: 'float32', shape: [0, 10], data: new Float32Array(0) }, 'x').kind).toBe('logits');
  });

  it('the streaming scan over chunks decides as the whole array does', () => {
    const sig = z.map(sigmoid);
    const s = outputKindScan('x');
    for (let i = 0; i < 200; i += 64) s.add(t(sig.slice(i, i + 64)));
    expect(s.result()).toEqual(inferOutputKind(t(sig), 'x'));
    expect(() => s.add(t([[0.1, 0.2]]))).toThrow(/class count/);
  });
});

describe('resolveOutputKinds', () => {
  const logits = inferOutputKind(t(logitsRows(20, 4, 2)), 'x');
  const sig = inferOutputKind(t(logitsRows(20, 4, 3).map(sigmoid)), 'x');

  it('differing inferred kinds are an error naming both kinds and both options', () => {
    let err: unknown;
    try {
      resolveOutputKinds({ what: "teacher output 'logits' of t.npz", inferred: logits }, { what: "student output 'logits' of s.npz", inferred: sig }, [
        'teacherInputs',
        'studentInputs',
      ]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KrsError);
    const e = err as KrsError;
    expect(e.code).toBe('BAD_OPTION');
    expect(e.message).toMatch(
      /^teacher output 'logits' of t\.npz looks like logits \(values outside .*\) but student output 'logits' of s\.npz looks like sigmoid scores \(every value is in \[0, 1\].*\); say how to read them with teacherInputs and studentInputs \(logits, probs or sigmoid\)$/,
    );
    expect(e.details).toMatchObject({ teacherKind: 'logits', studentKind: 'sigmoid' });
    expect(e.withOptionNames((o) => `--${o === 'teacherInputs' ? 'teacher' : 'student'}-outputs`).message).toMatch(/--teacher-outputs and --student-outputs/);
  });

  it('a kind set on either side settles it; set kinds always win', () => {
    const r = resolveOutputKinds({ what: 't', inferred: logits }, { what: 's', declared: 'sigmoid', inferred: sig }, ['a', 'b']);
    expect(r.teacher).toMatchObject({ kind: 'logits', source: 'values' });
    expect(r.student).toMatchObject({ kind: 'sigmoid', source: 'option' });
    const both = resolveOutputKinds({ what: 't', declared: 'probs', inferred: logits }, { what: 's', declared: 'logits', inferred: sig }, ['a', 'b']);
    expect([both.teacher.kind, both.student.kind]).toEqual(['probs', 'logits']);
    expect(describeKinds(r)).toMatch(/^teacher logits \(from the values: values outside .*\); student sigmoid scores \(set by studentInputs\)$/);
  });

  it('label ids cannot be read as class scores', () => {
    const labels = inferOutputKind(t([[1], [2]]), 'x');
    const r = resolveOutputKinds({ what: 't', inferred: labels }, { what: 's', inferred: labels }, ['a', 'b']);
    expect(() => scoreKind(r.teacher, "teacher output 'logits' of t.npz", 'teacherInputs')).toThrow(
      /^teacher output 'logits' of t\.npz looks like label ids \(every value is a non-negative integer \(1 … 2\)\), but KL agreement needs per-class scores/,
    );
  });
});

describe('sigmoidToLogits', () => {
  it('inverts the sigmoid; clips to [1e-7, 1 − 1e-7]; rejects values outside [0, 1]', () => {
    const z = [-12, -3.5, -0.25, 0, 0.5, 4, 11];
    const p = t([sigmoid(z)]);
    const back = sigmoidToLogits(p, 'x', 'studentInputs').data;
    z.forEach((v, i) => expect(back[i]).toBeCloseTo(v, 8));
    const ends = sigmoidToLogits(t([[0, 1]]), 'x', 'studentInputs').data;
    expect(ends[0]).toBeCloseTo(Math.log(1e-7 / (1 - 1e-7)), 12);
    expect(ends[1]).toBeCloseTo(-Math.log(1e-7 / (1 - 1e-7)), 8); // 1 − 1e-7 is rounded in float64
    expect(() => sigmoidToLogits(t([[0.5, 1.25]]), 'student sigmoid scores', 'studentInputs')).toThrow(
      /^student sigmoid scores holds 1\.25 at flat index 1, not a sigmoid score in \[0, 1\]; if these are logits, set studentInputs to logits$/,
    );
    expect(p.data[0]).toBe(sigmoid(z)[0]); // input untouched
  });

  it('KL agreement of sigmoid scores equals KL agreement of their logits', () => {
    const zt = logitsRows(50, 6, 4);
    const zs = logitsRows(50, 6, 5);
    const a = klAgreement(t(zt), t(zs.map(sigmoid)), { studentInputs: 'sigmoid' });
    const b = klAgreement(t(zt), t(zs));
    expect(a.aoa).toBeCloseTo(b.aoa, 9);
    expect(a.top1Agreement).toBe(b.top1Agreement);
    expect(() => klAgreement(t(zt), t(zs), { studentInputs: 'sigmoid' })).toThrow(/not a sigmoid score in \[0, 1\]; if these are logits, set studentInputs/);
  });
});
