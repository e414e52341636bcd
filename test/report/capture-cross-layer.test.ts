/**
 * The cross-layer matrix of two captures against independent numbers: its diagonal against
 * the NumPy reference of the score fixtures, its off-diagonal cells against the per-pair
 * scoring of scoreCaptures (another code path), with the student's rows shuffled by id.
 */
import { describe, expect, it } from 'vitest';
import { openCapture } from '../../src/io/node-capture.js';
import { scoreCaptures } from '../../src/krs/score-captures.js';
import { crossLayerOfCaptures, featureLayers } from '../../src/report/capture-cross-layer.js';
import { expectClose, expectKrsError, fixturePath, loadJson } from '../helpers/fixtures.js';

const teacher = () => openCapture(fixturePath('score/cls-teacher.npz'));
const student = () => openCapture(fixturePath('score/cls-student.npz'));

describe('crossLayerOfCaptures', () => {
  it('finds the feature layers (not logits or ids), in file order', () => {
    expect(featureLayers(teacher())).toEqual(['conv', 'fc']);
  });

  it('aligns the shuffled student by ids; the diagonal matches NumPy', async () => {
    const expected = loadJson('score/expected.json').classification;
    const r = await crossLayerOfCaptures({ teacher: teacher(), student: student() });
    expect(r.teacherLayers).toEqual(['conv', 'fc']);
    expect(r.studentLayers).toEqual(['conv', 'fc']);
    expect(r.idKey).toBe('ids');
    expect(r.n).toBe(64);
    expect(r.estimator).toBe('exact');
    expectClose(r.cka[0]![0]!, expected.layers.conv, 1e-9);
    expectClose(r.cka[1]![1]!, expected.layers.fc, 1e-9);
    expect(r.warnings[0]).toMatch(/reordered by 'ids'/);
  });

  it('off-diagonal cells equal the per-pair scores of scoreCaptures', async () => {
    const r = await crossLayerOfCaptures({ teacher: teacher(), student: student(), batchSize: 16 });
    const s = await scoreCaptures({
      task: 'classification',
      teacher: teacher(),
      student: student(),
      pairs: [
        { teacher: 'conv', student: 'fc' },
        { teacher: 'fc', student: 'conv' },
      ],
    });
    expectClose(r.cka[0]![1]!, s.layers[0]!.score / 100, 1e-9);
    expectClose(r.cka[1]![0]!, s.layers[1]!.score / 100, 1e-9);
    expect(r.batches).toBe(4);
  });

  it('takes layers in the order given, and names an unknown one', async () => {
    const r = await crossLayerOfCaptures({ teacher: teacher(), student: student(), teacherLayers: ['fc', 'conv'], studentLayers: ['fc'] });
    expect(r.teacherLayers).toEqual(['fc', 'conv']);
    expect(r.cka.map((row) => row.length)).toEqual([1, 1]);
    await expectKrsError(
      () => crossLayerOfCaptures({ teacher: teacher(), student: student(), teacherLayers: ['conv9'] }),
      'UNKNOWN_KEY',
      /teacher layer 'conv9'/,
      /conv, fc/,
    );
  });

  it('uses the minibatch estimator when asked', async () => {
    const r = await crossLayerOfCaptures({ teacher: teacher(), student: student(), estimator: 'minibatch', batchSize: 32 });
    expect(r.estimator).toBe('minibatch-unbiased-hsic');
    expect(r.cka[1]![1]!).toBeGreaterThan(0.5);
  });
});
