/**
 * The four-level segmenter (a fourth width adds enc4 at ⅛ resolution and dec3 at ¼): shapes,
 * parameter count, stage names, seeded determinism; three-level networks keep their layers,
 * and a KD stage only one network has is refused in one line.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/rng.js';
import { trainSegmenter } from '../../src/train/dense/seg-train.js';
import { buildSegmenter, SEG_STAGES, SEG_STAGES_DEEP, SEG_STUDENTS, segmenterArchitecture } from '../../src/train/dense/segmenter.js';
import { initTf, tf } from '../../src/train/tf.js';
import { expectKrsError } from '../helpers/fixtures.js';

beforeAll(() => initTf());

function input(b: number, seed: number, size = 48): tf.Tensor4D {
  const r = createRng(seed, 'dense-input');
  return tf.tensor4d(
    Float32Array.from({ length: b * size * size }, () => r.next()),
    [b, size, size, 1],
  );
}

describe('four-level segmenter', () => {
  const arch = segmenterArchitecture([4, 6, 8, 10]);

  it('adds enc4 (6×6) and dec3 (12×12); logits stay 48×48×11; parameters as the layers imply', () => {
    const net = buildSegmenter(arch, createRng(1, 'init'));
    const out = net.forward(input(2, 4));
    const shapes = Object.fromEntries(Object.entries(out.stages).map(([k, t]) => [k, t!.shape]));
    expect(shapes).toEqual({
      enc1: [2, 48, 48, 4],
      enc2: [2, 24, 24, 6],
      enc3: [2, 12, 12, 8],
      enc4: [2, 6, 6, 10],
      dec3: [2, 12, 12, 8],
      dec2: [2, 24, 24, 6],
      dec1: [2, 48, 48, 4],
    });
    expect(out.logits.shape).toEqual([2, 48, 48, 11]);
    expect(net.stageNames).toEqual(SEG_STAGES_DEEP);
    expect(arch.name).toBe('seg-4-6-8-10');
    const conv = (k: number, i: number, o: number) => k * k * i * o + o;
    expect(net.params).toBe(
      conv(3, 1, 4) +
        conv(3, 4, 4) +
        conv(3, 4, 6) +
        conv(3, 6, 8) +
        conv(3, 8, 8) +
        conv(3, 8, 10) +
        conv(3, 10, 10) +
        conv(3, 18, 8) +
        conv(3, 14, 6) +
        conv(3, 10, 4) +
        conv(1, 4, 11),
    );
    net.dispose();
  });

  it('refuses an input side that is not a multiple of 8', async () => {
    const net = buildSegmenter(arch, createRng(1, 'init'));
    await expectKrsError(() => net.forward(input(1, 1, 44)), 'SHAPE_MISMATCH', /multiples of 8/);
    net.dispose();
  });

  it('one seed, one network', () => {
    const a = buildSegmenter(arch, createRng(5, 'init'));
    const b = buildSegmenter(arch, createRng(5, 'init'));
    const x = input(1, 5);
    expect(a.forward(x).logits.dataSync()).toEqual(b.forward(x).logits.dataSync());
    a.dispose();
    b.dispose();
  });

  it('three-level networks keep their five stages', () => {
    const net = buildSegmenter(SEG_STUDENTS[3]!, createRng(1, 'init'));
    expect(net.stageNames).toEqual(SEG_STAGES);
    expect(Object.keys(net.forward(input(1, 2)).stages)).toEqual([...SEG_STAGES]);
    net.dispose();
  });

  it('refuses a KD stage the student lacks, naming both networks’ stages', async () => {
    const teacher = buildSegmenter(arch, createRng(1, 'init'));
    const student = buildSegmenter(SEG_STUDENTS[3]!, createRng(2, 'init'));
    const data = { n: 1, height: 48, width: 48, images: new Float32Array(48 * 48), ids: ['0'], labels: new Uint8Array(48 * 48) };
    await expectKrsError(
      () => trainSegmenter({ net: student, teacher, data, method: { kind: 'fitnet', stage: 'enc4' }, epochs: 1, batchSize: 1, learningRate: 1e-3, seed: 1 }),
      'BAD_OPTION',
      /enc4/,
    );
    teacher.dispose();
    student.dispose();
  });
});
