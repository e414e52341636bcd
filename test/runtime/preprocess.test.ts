import { describe, expect, it } from 'vitest';
import type { TensorDescription } from '../../src/runtime/onnx-model.js';
import { applyPreprocess, buildFeeds, convertTo, describePreprocess, fitSampleShape, parsePreprocess, planFeeds } from '../../src/runtime/preprocess.js';
import { expectKrsError } from '../helpers/fixtures.js';

const input = (shape: TensorDescription['shape'], dtype: TensorDescription['dtype'] = 'float32'): TensorDescription => ({
  name: 'input',
  op: 'input',
  node: '',
  dtype,
  shape,
  role: 'input',
});

describe('preprocessing specs', () => {
  it('presets and key=value items with fractions and per-channel lists', async () => {
    expect(parsePreprocess('symmetric', '--p')).toEqual({ scale: 1, mean: [0.5], std: [0.5] });
    expect(parsePreprocess('scale=1/255,mean=0.485:0.456:0.406,std=0.229:0.224:0.225', '--p')).toEqual({
      scale: 1 / 255,
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
    });
    expect(describePreprocess(parsePreprocess('mean=0.5,std=0.5', '--p'))).toBe('symmetric');
    expect(describePreprocess(parsePreprocess('scale=2', '--p'))).toBe('scale=2,mean=0,std=1');
    await expectKrsError(() => parsePreprocess('mean=abc', '--teacher-preprocess'), 'BAD_OPTION', /--teacher-preprocess "mean=abc"/);
    await expectKrsError(() => parsePreprocess('std=0', '--p'), 'BAD_OPTION', /std/);
    await expectKrsError(() => parsePreprocess('gamma=2', '--p'), 'BAD_OPTION');
  });

  it('applies (x·scale − mean[c]) / std[c] on the channel axis, leaving the input unchanged', () => {
    const data = Float32Array.from([0, 1, 0, 1, 0, 1, 0, 1]); // 2 samples, 2 channels, 2 values
    const t = { dtype: 'float32' as const, shape: [2, 2, 2], data };
    const out = applyPreprocess(t, { scale: 2, mean: [1, 0], std: [1, 2] }, 0, 'x');
    expect([...out.data]).toEqual([-1, 1, 0, 1, -1, 1, 0, 1]);
    expect([...data]).toEqual([0, 1, 0, 1, 0, 1, 0, 1]);
    const last = applyPreprocess(t, { scale: 1, mean: [0, 1], std: [1, 1] }, 1, 'x');
    expect([...last.data]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });
});

describe('fitting samples to a model input', () => {
  it('drops or adds axes of size 1 when the model declares fixed sizes', () => {
    expect(fitSampleShape([1, 28, 28], input(['N', 28, 28]), 'm.onnx', undefined, '--student-shape')).toEqual([28, 28]);
    expect(fitSampleShape([28, 28], input(['N', 1, 28, 28]), 'm.onnx', undefined, '--s')).toEqual([1, 28, 28]);
    expect(fitSampleShape([1, 28, 28], input(['N', 1, 28, 28]), 'm.onnx', undefined, '--s')).toEqual([1, 28, 28]);
    expect(fitSampleShape([784], input(null), 'm.onnx', [28, 28], '--s')).toEqual([28, 28]);
    expect(fitSampleShape([5, 7], input(['N', 'T', 7]), 'm.onnx', undefined, '--s')).toEqual([5, 7]);
  });

  it('says expected vs got and which flag to pass', async () => {
    await expectKrsError(
      () => fitSampleShape([3, 28, 28], input(['batch', 1, 28, 28]), 'zoo.onnx', undefined, '--teacher-shape'),
      'SHAPE_MISMATCH',
      /zoo\.onnx: input 'input' expects \[batch, 1, 28, 28\], got samples of shape \[3, 28, 28\]/,
      /--teacher-shape/,
    );
    await expectKrsError(() => fitSampleShape([28, 28, 3], input(['N', 3, 28, 28]), 'rgb.onnx', undefined, '--shape'), 'SHAPE_MISMATCH', /different layout/);
    await expectKrsError(() => fitSampleShape([1, 28, 28], input(['N', 28, 28]), 'm.onnx', [1, 28, 28], '--shape'), 'SHAPE_MISMATCH', /other fixed sizes/);
    await expectKrsError(() => fitSampleShape([1, 28, 28], input(['N', 28, 28]), 'm.onnx', [10, 10], '--shape'), 'SHAPE_MISMATCH', /100 values per sample/);
  });

  it('plans feeds by name for several inputs and converts types', async () => {
    const inputs = [input(['N', 4], 'int64'), { ...input(['N', 4], 'int64'), name: 'mask' }];
    inputs[0] = { ...inputs[0]!, name: 'ids' };
    const arrays = { ids: { dtype: 'int32' as const, shape: [2, 4] }, attention: { dtype: 'uint8' as const, shape: [2, 4] } };
    await expectKrsError(() => planFeeds(inputs, arrays, 'ids', 'bert.onnx', {}, 'student'), 'UNKNOWN_KEY', /model input "mask"/, /--student-feed mask=ARRAY/);
    const plans = planFeeds(inputs, arrays, 'ids', 'bert.onnx', { feeds: { mask: 'attention' } }, 'student');
    const feeds = buildFeeds(
      plans,
      {
        ids: { dtype: 'int32', shape: [2, 4], data: Int32Array.from([1, 2, 3, 4, 5, 6, 7, 8]) },
        attention: { dtype: 'uint8', shape: [2, 4], data: new Uint8Array(8).fill(1) },
      },
      0,
      'bert.onnx',
    );
    expect(feeds.ids!.dtype).toBe('int64');
    expect(feeds.ids!.data).toBeInstanceOf(BigInt64Array);
    expect(feeds.mask!.shape).toEqual([2, 4]);
    expect(convertTo({ dtype: 'float64', shape: [2], data: Float64Array.from([1.5, 2]) }, 'float32', 'x').data).toBeInstanceOf(Float32Array);
  });
});
