/**
 * The dense networks' shapes, parameter counts and seeded determinism, on the wasm backend
 * (with the training kernels of src/train/wasm-kernels.ts), and their forward passes against
 * the cpu backend's.
 */
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/rng.js';
import { upsample2x } from '../../src/train/dense/conv.js';
import { stageActivations } from '../../src/train/dense/data.js';
import { buildDetector, DET_STUDENTS, DET_TEACHER, type Detector, detectorArchitecture } from '../../src/train/dense/detector.js';
import { buildSegmenter, SEG_STUDENTS, SEG_TEACHER } from '../../src/train/dense/segmenter.js';
import { initTf, tf } from '../../src/train/tf.js';
import { syntheticScenes } from './dense-synthetic.js';

beforeAll(() => initTf());

function input(b: number, seed: number, size = 48): tf.Tensor4D {
  const r = createRng(seed, 'dense-input');
  return tf.tensor4d(
    Float32Array.from({ length: b * size * size }, () => r.next()),
    [b, size, size, 1],
  );
}
const shape = (t: tf.Tensor | null) => t?.shape;

/** Multiply-free parameter count of a detector from its widths. */
function detParams(w: readonly number[], h: number, offset: boolean): number {
  const [c1, c2, c3] = w as [number, number, number];
  const conv = (k: number, i: number, o: number) => k * k * i * o + o;
  return (
    conv(3, 1, c1) +
    conv(3, c1, c1) +
    conv(3, c1, c2) +
    conv(3, c2, c2) +
    conv(3, c2, c3) +
    conv(3, c3, c3) +
    conv(3, c3, h) +
    conv(1, h, 10) +
    conv(1, h, 2) +
    (offset ? conv(1, h, 2) : 0)
  );
}

describe('detector', () => {
  it('stride-4 stages and heads for 48×48 input; parameters as the widths say', () => {
    for (const arch of [DET_TEACHER, ...DET_STUDENTS]) {
      const net = buildDetector(arch, createRng(1, 'init'));
      const out = net.forward(input(2, 1));
      const [c1, c2, c3] = arch.widths;
      expect(shape(out.stages.stage1)).toEqual([2, 24, 24, c1]);
      expect(shape(out.stages.stage2)).toEqual([2, 12, 12, c2]);
      expect(shape(out.stages.stage3)).toEqual([2, 12, 12, c3]);
      expect(shape(out.stages.head)).toEqual([2, 12, 12, arch.head]);
      expect(shape(out.heatmapLogits)).toEqual([2, 12, 12, 10]);
      expect(shape(out.size)).toEqual([2, 12, 12, 2]);
      expect(shape(out.offset)).toEqual([2, 12, 12, 2]);
      expect(net.params).toBe(detParams(arch.widths, arch.head, true));
      net.dispose();
    }
    // Students are smaller than the teacher, and shrink in order.
    const sizes = [DET_TEACHER, ...DET_STUDENTS].map((a) => detParams(a.widths, a.head, true));
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
  });

  it('without the offset head, offset is null; 64×64 input gives a 16×16 grid', () => {
    const net = buildDetector(detectorArchitecture([4, 8, 8], 8, false), createRng(1, 'init'));
    const out = net.forward(input(1, 2, 64));
    expect(out.offset).toBeNull();
    expect(shape(out.heatmapLogits)).toEqual([1, 16, 16, 10]);
    expect(net.params).toBe(detParams([4, 8, 8], 8, false));
    expect(() => net.forward(tf.zeros([1, 50, 48, 1]) as tf.Tensor4D)).toThrow(/detector input: expected \[b, h, w, 1\]/);
    net.dispose();
  });

  it('the heatmap starts at the prior 0.1 on average: bias −log 9', () => {
    const net = buildDetector(DET_TEACHER, createRng(3, 'init'));
    const w = net.weights();
    // heatmap bias is the 16th array: 7 convs × 2, then the heatmap kernel and bias.
    expect(Array.from(w[15]!)).toEqual(new Array(10).fill(Math.fround(-Math.log(9))));
    net.dispose();
  });

  it('one seed, one network: same weights and outputs; another seed differs', () => {
    const build = (seed: number): Detector => buildDetector(DET_STUDENTS[1]!, createRng(seed, 'init'));
    const [a, b, c] = [build(7), build(7), build(8)];
    const x = input(2, 3);
    expect(a.weights()).toEqual(b.weights());
    expect(a.forward(x).heatmapLogits.dataSync()).toEqual(b.forward(x).heatmapLogits.dataSync());
    expect(a.weights()[0]).not.toEqual(c.weights()[0]);
    tf.dispose([a, b, c].flatMap((n) => n.variables()));
  });
});

describe('segmenter', () => {
  it('encoder stages at 1, ½, ¼ resolution, decoder back to 48×48, 11 logits per pixel', () => {
    for (const arch of [SEG_TEACHER, ...SEG_STUDENTS]) {
      const net = buildSegmenter(arch, createRng(1, 'init'));
      const out = net.forward(input(2, 4));
      const [c1, c2, c3] = arch.widths;
      expect(shape(out.stages.enc1)).toEqual([2, 48, 48, c1]);
      expect(shape(out.stages.enc2)).toEqual([2, 24, 24, c2]);
      expect(shape(out.stages.enc3)).toEqual([2, 12, 12, c3]);
      expect(shape(out.stages.dec2)).toEqual([2, 24, 24, c2]);
      expect(shape(out.stages.dec1)).toEqual([2, 48, 48, c1]);
      expect(shape(out.logits)).toEqual([2, 48, 48, 11]);
      const conv = (k: number, i: number, o: number) => k * k * i * o + o;
      expect(net.params).toBe(
        conv(3, 1, c1) + conv(3, c1, c1) + conv(3, c1, c2) + conv(3, c2, c3) + conv(3, c3, c3) + conv(3, c3 + c2, c2) + conv(3, c2 + c1, c1) + conv(1, c1, 11),
      );
      net.dispose();
    }
  });

  it('one seed, one network', () => {
    const a = buildSegmenter(SEG_STUDENTS[2]!, createRng(5, 'init'));
    const b = buildSegmenter(SEG_STUDENTS[2]!, createRng(5, 'init'));
    const x = input(1, 5);
    expect(a.forward(x).logits.dataSync()).toEqual(b.forward(x).logits.dataSync());
    a.dispose();
    b.dispose();
  });

  it('nearest 2× upsampling repeats each value in a 2×2 block', () => {
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 2, 2]);
    const y = upsample2x(x).arraySync()[0]!;
    expect(y.map((row) => row.map((px) => px[0]))).toEqual([
      [1, 1, 3, 3],
      [1, 1, 3, 3],
      [5, 5, 7, 7],
      [5, 5, 7, 7],
    ]);
  });
});

describe('stage activations', () => {
  it('read out batch by batch equal one forward pass, [n, h, w, c] row-major', () => {
    const net = buildDetector(DET_STUDENTS[3]!, createRng(2, 'init'));
    const data = syntheticScenes(5, 1);
    const acts = stageActivations(net.forward, data, ['stage1', 'stage3'], 2);
    expect(acts.stage1.shape).toEqual([5, 24, 24, 4]);
    expect(acts.stage3.shape).toEqual([5, 12, 12, 12]);
    const whole = net.forward(tf.tensor4d(data.images, [5, 48, 48, 1])).stages.stage3.dataSync();
    let worst = 0;
    for (let i = 0; i < whole.length; i++) worst = Math.max(worst, Math.abs(whole[i]! - acts.stage3.data[i]!));
    expect(worst).toBeLessThan(1e-5);
    net.dispose();
  });
});

describe('wasm and cpu agree', () => {
  it('forward passes and a loss gradient of the same weights, to 1e-4 relative', async () => {
    const run = () => {
      const det = buildDetector(DET_STUDENTS[2]!, createRng(9, 'init'));
      const seg = buildSegmenter(SEG_STUDENTS[2]!, createRng(9, 'init'));
      const x = input(2, 9);
      const h = det.forward(x).heatmapLogits.dataSync().slice();
      const z = seg.forward(x).logits.dataSync().slice();
      const g = tf
        .grads((xx: tf.Tensor) => tf.sum(tf.square(seg.forward(xx as tf.Tensor4D).logits)))([x])[0]!
        .dataSync()
        .slice();
      det.dispose();
      seg.dispose();
      return [h, z, g] as const;
    };
    const onWasm = run();
    await tf.setBackend('cpu');
    try {
      const onCpu = run();
      onWasm.forEach((a, k) => {
        const b = onCpu[k]!;
        let worst = 0;
        for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
        expect(worst).toBeLessThan(1e-4);
      });
    } finally {
      await tf.setBackend('wasm');
    }
  });
});
