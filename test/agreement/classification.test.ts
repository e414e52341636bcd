import { describe, expect, it } from 'vitest';
import { type KlAgreementBatch, type KlAgreementOptions, klAgreement, klAgreementMeasure } from '../../src/agreement/index.js';
import { KrsError } from '../../src/core/errors.js';
import type { Tensor } from '../../src/core/tensor.js';
import {
  checkMeasureProperties,
  closeResults,
  expectClose,
  expectFieldsClose,
  expectKrsError,
  f64,
  loadFixture,
  snapshotTensors,
  splitBatch,
} from './helpers.js';

interface DataSet {
  teacherShape: number[];
  teacher: number[];
  studentShape: number[];
  student: number[];
  maskShape?: number[];
  mask?: number[];
}
interface Case {
  name: string;
  data: string;
  temperature: number;
  teacherInputs: 'logits' | 'probs';
  studentInputs: 'logits' | 'probs';
  expected: Record<string, number>;
}
const fx = loadFixture<{ data: Record<string, DataSet>; cases: Case[] }>('classification.json');

function batchOf(d: DataSet): KlAgreementBatch {
  const b: { teacher: Tensor; student: Tensor; mask?: Tensor } = {
    teacher: f64(d.teacher, d.teacherShape),
    student: f64(d.student, d.studentShape),
  };
  if (d.mask) b.mask = { dtype: 'uint8', shape: d.maskShape!, data: Uint8Array.from(d.mask) };
  return b;
}
function optionsOf(c: Case): KlAgreementOptions {
  return { temperature: c.temperature, teacherInputs: c.teacherInputs, studentInputs: c.studentInputs };
}

describe('klAgreement against NumPy/SciPy', () => {
  it.each(fx.cases.filter((c) => c.name !== 'C=1').map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const b = batchOf(fx.data[c.data]!);
    const r = klAgreement(b.teacher, b.student, { ...optionsOf(c), ...(b.mask ? { mask: b.mask } : {}) });
    expect(r.metric).toBe('kl-agreement');
    expectFieldsClose(r as unknown as Record<string, unknown>, c.expected, c.name);
    expect(r.aoa).toBeGreaterThanOrEqual(0);
    expect(r.aoa).toBeLessThanOrEqual(100);
  });

  it('covers the cases the brief asks for', () => {
    const names = fx.cases.map((c) => c.name).join('|');
    for (const s of ['tau=0.5', 'tau=4', 'large logits', 'probs tau=2', 'infinite KL', 'C=3', 'C=1', 'tokens masked']) {
      expect(names).toContain(s);
    }
  });
});

describe('klAgreement behaviour', () => {
  it('one class is refused: every softmax is [1], so agreement would be 100 whatever the models do', () => {
    const c = fx.cases.find((x) => x.name === 'C=1')!;
    const b = batchOf(fx.data[c.data]!);
    expectKrsError(() => klAgreement(b.teacher, b.student), 'SHAPE_MISMATCH', /at least 2 classes/);
  });

  it('identical logits give AOA 100 even at ±1e4', () => {
    const z = f64([1e4, 0, -1e4, -1e4, 1e4, 0], [2, 3]);
    const r = klAgreement(z, z);
    expect(r.aoa).toBe(100);
    expect(r.meanKl).toBe(0);
    expect(r.jsDivergence).toBe(0);
    expect(r.top1Agreement).toBe(1);
    expect(r.top5Overlap).toBe(1);
    expect(r.topK).toBe(3);
    const far = klAgreement(z, f64([-1e4, 1e4, 0, 1e4, -1e4, 0], [2, 3]));
    expect(Number.isFinite(far.meanKl)).toBe(true);
    expectClose(far.meanKl, 2e4, 'meanKl');
    expect(far.aoa).toBe(0);
    expectClose(far.jsDivergence, Math.LN2, 'js');
  });

  it('matches the doc example', () => {
    const t = f64([2, 0, 0, 0, 1, 0], [2, 3]);
    const s = f64([1, 0, 0, 0, 2, 0], [2, 3]);
    const r = klAgreement(t, s);
    expect(r.aoa).toBeCloseTo(90.0, 1);
    expect(klAgreement(t, s, { temperature: 4 }).aoa).toBeGreaterThan(r.aoa);
  });

  it('argmax ties go to the lowest index', () => {
    const t = f64([1, 1, 0], [1, 3]);
    expect(klAgreement(t, f64([0.5, 0, 0], [1, 3])).top1Agreement).toBe(1);
    expect(klAgreement(t, f64([0, 0.5, 0], [1, 3])).top1Agreement).toBe(0);
  });

  it('infinite KL: meanKl Infinity, counted, JSON null; the state serialises finitely', () => {
    const t = f64([0.5, 0.5, 0, 0.2, 0.8, 0], [2, 3]);
    const s = f64([1, 0, 0, 0.2, 0.8, 0], [2, 3]);
    const opts = { teacherInputs: 'probs', studentInputs: 'probs' } as const;
    const r = klAgreement(t, s, opts);
    expect(r.meanKl).toBe(Infinity);
    expect(r.infiniteKlSamples).toBe(1);
    expect(r.aoa).toBeCloseTo(50, 12); // sample 0 → 0, sample 1 → 1
    expect(JSON.parse(JSON.stringify(r)).meanKl).toBeNull();
    const m = klAgreementMeasure(opts);
    const st = m.init();
    m.update(st, { teacher: t, student: s });
    const json = JSON.stringify(m.toJSON(st));
    expect(json).not.toMatch(/null|Infinity/);
    expect(m.compute(m.fromJSON(JSON.parse(json)))).toEqual(r);
  });

  it('float32 inputs are read exactly and summed in float64', () => {
    const d = fx.data.base!;
    const t32 = Float32Array.from(d.teacher);
    const s32 = Float32Array.from(d.student);
    const a = klAgreement({ dtype: 'float32', shape: d.teacherShape, data: t32 }, { dtype: 'float32', shape: d.studentShape, data: s32 });
    const b = klAgreement(f64(Array.from(t32), d.teacherShape), f64(Array.from(s32), d.studentShape));
    expect(a).toEqual(b);
  });

  it('a mask of shape n×P₁×P₂ and n×(P₁·P₂) agree; all-ones mask equals no mask', () => {
    const d = fx.data['tokens-nomask']!;
    const { teacher, student } = batchOf(d);
    const [n, L] = d.teacherShape as [number, number, number];
    const ones = { dtype: 'uint8' as const, shape: [n, L], data: new Uint8Array(n * L).fill(1) };
    expect(klAgreement(teacher, student, { mask: ones })).toEqual(klAgreement(teacher, student));
    // rank 4: n×2×(L/2)×C with a mask n×2×(L/2)
    const C = d.teacherShape[2]!;
    const t4 = { ...teacher, shape: [n, 2, L / 2, C] };
    const s4 = { ...student, shape: [n, 2, L / 2, C] };
    const m3 = { ...ones, shape: [n, 2, L / 2] };
    expect(klAgreement(t4, s4, { mask: m3 })).toEqual(klAgreement(teacher, student));
  });
});

describe('klAgreementMeasure properties', () => {
  for (const [dname, opts] of [
    ['base', { temperature: 2 }],
    ['tokens', {}],
    ['probs-inf', { teacherInputs: 'probs', studentInputs: 'probs' }],
  ] as const) {
    it(`k batches = one shot, shards merge, reset, inputs unchanged, JSON (${dname})`, () => {
      const whole = batchOf(fx.data[dname]!);
      const n = whole.teacher.shape[0]!;
      const cuts = [1, Math.floor(n / 2), n - 1];
      const batches = splitBatch(whole as unknown as Record<string, Tensor>, cuts) as unknown as KlAgreementBatch[];
      checkMeasureProperties({
        measure: klAgreementMeasure(opts),
        whole,
        batches,
        shards: [[batches[0]!, batches[1]!], [batches[2]!], [batches[3]!]],
        snapshot: (b) => snapshotTensors(b as unknown as Record<string, Tensor>),
        compare: closeResults(1e-12),
      });
    });
  }

  it('empty batches are no-ops', () => {
    const m = klAgreementMeasure();
    const s = m.init();
    m.update(s, { teacher: f64([], [0, 4]), student: f64([], [0, 4]) });
    expect(m.toJSON(s)).toEqual(m.toJSON(m.init()));
  });
});

describe('klAgreement bad input', () => {
  const t = f64([1, 2, 3, 4, 5, 6], [2, 3]);
  it('NaN / Inf in logits', () => {
    expectKrsError(() => klAgreement(t, f64([1, NaN, 3, 4, 5, 6], [2, 3])), 'NON_FINITE', 'student logits', 'NaN', 'index 1');
    expectKrsError(() => klAgreement(f64([1, 2, 3, 4, Infinity, 6], [2, 3]), t), 'NON_FINITE', 'teacher logits', 'Infinity');
  });
  it('mismatched sample counts', () => {
    expectKrsError(() => klAgreement(t, f64([1, 2, 3], [1, 3])), 'SHAPE_MISMATCH', 'teacher has 2 samples, student has 1');
  });
  it('mismatched class counts', () => {
    expectKrsError(() => klAgreement(t, f64([1, 2, 3, 4], [2, 2])), 'SHAPE_MISMATCH', 'class counts', 'teacher 3', 'student 2');
    const m = klAgreementMeasure();
    const s = m.init();
    m.update(s, { teacher: t, student: t });
    expectKrsError(() => m.update(s, { teacher: f64([1, 2], [1, 2]), student: f64([1, 2], [1, 2]) }), 'SHAPE_MISMATCH', '3 classes');
  });
  it('rank < 2 and mismatched position axes', () => {
    expectKrsError(() => klAgreement(f64([1, 2], [2]), f64([1, 2], [2])), 'SHAPE_MISMATCH', 'rank ≥ 2', '[2]');
    expectKrsError(() => klAgreement(f64(new Array(12).fill(0), [2, 2, 3]), f64(new Array(12).fill(0), [2, 3, 2])), 'SHAPE_MISMATCH');
  });
  it('temperature ≤ 0, NaN or Infinity', () => {
    for (const tau of [0, -1, NaN, Infinity]) {
      expectKrsError(() => klAgreement(t, t, { temperature: tau }), 'BAD_OPTION', 'temperature');
    }
    expectKrsError(() => klAgreementMeasure({ temperature: 0 }), 'BAD_OPTION', 'temperature', '0');
    expectKrsError(() => klAgreementMeasure({ teacherInputs: 'softmax' as never }), 'BAD_OPTION', 'teacherInputs');
  });
  it('probabilities that do not sum to 1 or are negative suggest logits', () => {
    const p = f64([0.2, 0.3, 0.5, 0.5, 0.5, 0.5], [2, 3]);
    const e = expectKrsError(
      () => klAgreement(p, p, { teacherInputs: 'probs' }),
      'BAD_VALUE',
      'teacher probabilities row 1',
      'sums to 1.5',
      'set teacherInputs to logits',
    );
    expect(e.details).toMatchObject({ row: 1 });
    const neg = f64([0.2, 0.3, 0.5, 1.2, -0.2, 0], [2, 3]);
    expectKrsError(() => klAgreement(t, neg, { studentInputs: 'probs' }), 'BAD_VALUE', 'student probabilities row 1', '-0.2', 'set studentInputs to logits');
    // within 1e-3 is accepted
    const near = f64([0.2, 0.3, 0.5005, 0.5, 0.5, 0], [2, 3]);
    expect(klAgreement(near, near, { teacherInputs: 'probs', studentInputs: 'probs' }).aoa).toBeCloseTo(100, 12);
  });
  it('bad masks', () => {
    const t3 = f64(new Array(12).fill(0), [2, 2, 3]);
    const mk = (data: number[], shape: number[]): Tensor => ({ dtype: 'float64', shape, data: Float64Array.from(data) });
    expectKrsError(() => klAgreement(t3, t3, { mask: mk([1, 1, 1], [1, 3]) }), 'SHAPE_MISMATCH', 'mask');
    expectKrsError(() => klAgreement(t3, t3, { mask: mk([1, 0.5, 1, 1], [2, 2]) }), 'BAD_VALUE', 'mask', '0.5');
    expectKrsError(() => klAgreement(t3, t3, { mask: mk([1, 0, 0, 0], [2, 2]) }), 'BAD_VALUE', 'mask row 1');
  });
  it('a failing batch leaves the state unchanged', () => {
    const m = klAgreementMeasure();
    const s = m.init();
    m.update(s, { teacher: t, student: t });
    const before = JSON.stringify(m.toJSON(s));
    expect(() => m.update(s, { teacher: t, student: f64([1, 2, 3, 4, 5, NaN], [2, 3]) })).toThrow(KrsError);
    expect(JSON.stringify(m.toJSON(s))).toBe(before);
  });
  it('states with other options do not merge or restore; garbage does not restore', () => {
    const a = klAgreementMeasure({ temperature: 2 });
    const b = klAgreementMeasure({ temperature: 3 });
    expectKrsError(() => a.merge(a.init(), b.init()), 'BAD_OPTION', 'temperature', '2', '3');
    expectKrsError(() => a.update(b.init(), { teacher: t, student: t }), 'BAD_OPTION', 'temperature');
    expectKrsError(() => a.fromJSON(b.toJSON(b.init())), 'BAD_VALUE', 'temperature');
    expectKrsError(() => a.fromJSON({ measure: 'aoa-kl', version: 1 }), 'BAD_VALUE', 'config');
    expectKrsError(() => a.fromJSON('x'), 'BAD_VALUE', 'JSON object');
    expectKrsError(() => a.fromJSON({ measure: 'aoa-regression', version: 1 }), 'BAD_VALUE', 'aoa-regression');
  });
  it('no samples is undefined, not 0', () => {
    const m = klAgreementMeasure();
    expectKrsError(() => m.compute(m.init()), 'UNDEFINED', 'classification AOA', 'no samples');
  });
});
