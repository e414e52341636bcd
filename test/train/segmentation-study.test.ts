import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { segmentationAgreement } from '../../src/agreement/segmentation.js';
import type { Tensor } from '../../src/core/tensor.js';
import { readLabelMapFolder } from '../../src/io/node-label-map.js';
import { segmenterStages } from '../../src/train/dense/segmenter.js';
import { pairedMiouError } from '../../src/train/paired-error.js';
import { runSegmentationStudy, SEGMENTATION_METHODS, type SegmentationStudyResult, segShortName } from '../../src/train/segmentation-study.js';
import { segmentationStudyConfig } from '../../src/train/segmentation-study-config.js';
import { labelMapFolder, sceneFileId } from '../../src/train/segmentation-study-files.js';
import { initTf } from '../../src/train/tf.js';
import { expectKrsError } from '../helpers/fixtures.js';

const outDir = () => mkdtempSync(join(tmpdir(), 'krs-seg-study-'));
const numbers = (r: SegmentationStudyResult) => JSON.parse(JSON.stringify(r, (k, v) => (['seconds', 'files'].includes(k) ? undefined : v)));

/** A folder of PNG label maps as one [n, H, W] tensor, in file-name order. */
function stacked(dir: string): Tensor {
  const { ids, maps } = readLabelMapFolder(dir);
  const [h, w] = maps[0]!.shape as [number, number];
  const data = new Uint8Array(ids.length * h * w);
  maps.forEach((m, i) => data.set(m.data as Uint8Array, i * h * w));
  return { dtype: 'uint8', shape: [ids.length, h, w], data };
}

describe('segmentation study design', () => {
  beforeAll(() => initTf());
  it('≥ 3 students × 3 KD methods ≥ 12 experiments, α = 0.7, students smaller than the teacher', async () => {
    const c = segmentationStudyConfig();
    expect(c.students.length).toBeGreaterThanOrEqual(3);
    expect(c.students.length * (SEGMENTATION_METHODS.length - 1)).toBeGreaterThanOrEqual(12);
    expect(c.alpha).toBe(0.7);
    const { segmenterParams } = await import('../../src/train/segmentation-study.js');
    for (const s of c.students) expect(segmenterParams(s)).toBeLessThan(segmenterParams(c.teacher));
  });
  it('refuses bad settings with a one-line BAD_OPTION', async () => {
    await expectKrsError(() => segmentationStudyConfig({ testScenes: 5 }), 'BAD_OPTION', /testSize/);
    await expectKrsError(() => segmentationStudyConfig({ studentEpochs: 0 }), 'BAD_OPTION', /epochs/);
    await expectKrsError(() => segmentationStudyConfig({ classWeightPower: -1 }), 'BAD_OPTION', /classWeightPower/);
    await expectKrsError(() => segmentationStudyConfig({ temperature: 0 }), 'BAD_OPTION', /temperature/);
  });
  it('names scene files so that their sorted order is the held-out order', () => {
    const names = Array.from({ length: 12_000 }, (_, i) => sceneFileId(i, 12_000));
    expect([...names].sort()).toEqual(names);
    expect(sceneFileId(7, 40)).toBe('scene-0007');
  });
});

describe('the quick segmentation study (end to end)', () => {
  let out: string;
  let r: SegmentationStudyResult;
  let again: SegmentationStudyResult;
  beforeAll(async () => {
    out = outDir();
    r = await runSegmentationStudy(segmentationStudyConfig({ quick: true }), { out });
    again = await runSegmentationStudy(segmentationStudyConfig({ quick: true }), { out: outDir() });
  }, 900_000);

  it('pairs every KD student with its size’s baseline', () => {
    expect(r.task).toBe('segmentation');
    expect(r.family).toBe('segmenter');
    expect(r.metric).toBe('mIoU');
    expect(r.experiments).toHaveLength(r.config.students.length * 3);
    for (const e of r.experiments) {
      const pre = r.students.find((s) => s.arch === e.arch && s.method === 'baseline')!;
      expect(e.krsPre).toBe(pre.krs);
      expect(e.metricPre).toBe(pre.metric);
      expect(Number.isFinite(e.deltaMetricSe)).toBe(true);
      expect(e.deltaMetricSe).toBeGreaterThanOrEqual(0);
    }
    expect(r.heatmaps).toHaveLength(r.students.length);
    expect(r.heatmaps[0]!.teacherLayers).toEqual([...segmenterStages(r.config.teacher)]);
  });

  it('scores every student in [0, 100] with an interval', () => {
    for (const s of r.students) {
      for (const v of [s.krs, s.fss, s.aoa, s.metric]) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(100);
      }
      expect(s.ci95.krs).not.toBeNull();
      expect(s.ci95.krs![0]).toBeLessThanOrEqual(s.ci95.krs![1]);
    }
  });

  it('writes PNG label maps whose re-scored mIoU, AOA and paired se equal the results', () => {
    const truth = stacked(labelMapFolder(out, 'ground-truth'));
    expect(truth.shape).toEqual([r.data.test, 48, 48]);
    const teacher = stacked(labelMapFolder(out, 'teacher'));
    expect(segmentationAgreement(truth, teacher).aoa).toBe(r.teacher.metric);
    const table = JSON.parse(readFileSync(join(out, 'label-maps', 'miou.json'), 'utf8'));
    for (const s of r.students) {
      const name = `${segShortName(r.config.students.find((a) => a.name === s.arch)!)}-${s.method}`;
      const maps = stacked(labelMapFolder(out, name));
      expect(segmentationAgreement(truth, maps).aoa).toBe(s.metric);
      expect(segmentationAgreement(teacher, maps).aoa).toBeCloseTo(s.aoa, 9);
      expect(table[name].miou).toBe(s.metric);
    }
    for (const e of r.experiments) {
      const short = segShortName(r.config.students.find((a) => a.name === e.arch)!);
      const p = pairedMiouError(truth, stacked(labelMapFolder(out, `${short}-baseline`)), stacked(labelMapFolder(out, `${short}-${e.method}`)), {
        groups: r.config.intervalGroups,
      });
      expect(p.miou.delta).toBeCloseTo(e.metricPost - e.metricPre, 9);
      expect(p.miou.se).toBe(e.deltaMetricSe);
    }
  });

  it('is deterministic per seed', () => {
    expect(numbers(again)).toEqual(numbers(r));
  });
});
