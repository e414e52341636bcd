import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCocoResults } from '../../src/io/coco.js';
import { parseCocoGroundTruth } from '../../src/io/coco-ground-truth.js';
import { cocoMap } from '../../src/train/coco-map.js';
import { DETECTION_METHODS, type DetectionStudyResult, detectionsFile, detShortName, runDetectionStudy } from '../../src/train/detection-study.js';
import { detectionStudyConfig } from '../../src/train/detection-study-config.js';
import { expectKrsError } from '../helpers/fixtures.js';

const outDir = () => mkdtempSync(join(tmpdir(), 'krs-det-study-'));
const numbers = (r: DetectionStudyResult) => JSON.parse(JSON.stringify(r, (k, v) => (['seconds', 'files'].includes(k) ? undefined : v)));

describe('detection study design', () => {
  it('≥ 3 students × 3 KD methods ≥ 12 experiments, α = 0.7, AOA at score ≥ 0.3', () => {
    const c = detectionStudyConfig();
    expect(c.students.length).toBeGreaterThanOrEqual(3);
    expect(c.students.length * (DETECTION_METHODS.length - 1)).toBeGreaterThanOrEqual(12);
    expect(c.alpha).toBe(0.7);
    expect(c.aoaScoreMin).toBe(0.3);
  });
  it('the tuned training settings: batch 16, heatmap Gaussians of at least 1 cell, 8 teacher epochs', () => {
    const c = detectionStudyConfig();
    expect([c.batchSize, c.heatmapMinRadius, c.teacherEpochs, c.studentEpochs, c.trainScenes]).toEqual([16, 1, 8, 5, 2000]);
    expect(detectionStudyConfig({ quick: true }).heatmapMinRadius).toBe(1);
  });
  it('refuses bad settings with a one-line BAD_OPTION', async () => {
    await expectKrsError(() => detectionStudyConfig({ testScenes: 5 }), 'BAD_OPTION', /testSize/);
    await expectKrsError(() => detectionStudyConfig({ studentEpochs: 0 }), 'BAD_OPTION', /epochs/);
    await expectKrsError(() => detectionStudyConfig({ aoaScoreMin: 2 }), 'BAD_OPTION', /aoaScoreMin/);
    await expectKrsError(() => detectionStudyConfig({ heatmapMinRadius: -1 }), 'BAD_OPTION', /heatmapMinRadius/);
    await expectKrsError(() => detectionStudyConfig({ heatmapMinRadius: 0.5 }), 'BAD_OPTION', /heatmapMinRadius/);
  });
});

describe('the quick detection study (end to end)', () => {
  let out: string;
  let r: DetectionStudyResult;
  let again: DetectionStudyResult;
  beforeAll(async () => {
    out = outDir();
    r = await runDetectionStudy(detectionStudyConfig({ quick: true }), { out });
    again = await runDetectionStudy(detectionStudyConfig({ quick: true }), { out: outDir() });
  }, 600_000);

  it('pairs every KD student with its size’s baseline', () => {
    expect(r.task).toBe('detection');
    expect(r.dataset).toBe('mnist-scenes');
    expect(r.metric).toBe('mAP@0.5');
    expect(r.experiments).toHaveLength(r.config.students.length * 3);
    for (const e of r.experiments) {
      const pre = r.students.find((s) => s.arch === e.arch && s.method === 'baseline')!;
      expect(e.krsPre).toBe(pre.krs);
      expect(e.metricPre).toBe(pre.metric);
      expect(Number.isFinite(e.deltaMetricSe)).toBe(true);
      expect(e.deltaMetricSe).toBeGreaterThanOrEqual(0);
    }
  });

  it('scores every student in [0, 100] with an interval', () => {
    for (const s of r.students) {
      for (const v of [s.krs, s.fss, s.aoa]) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(100);
      }
      expect(s.ci95.krs).not.toBeNull();
      expect(s.ci95.krs![0]).toBeLessThanOrEqual(s.ci95.krs![1]);
    }
  });

  it('writes COCO files whose mAP@0.5 re-scored equals the results', () => {
    const gt = parseCocoGroundTruth(readFileSync(join(out, 'ground-truth.json'), 'utf8'), 'ground-truth.json');
    expect(gt.images).toHaveLength(r.data.test);
    const maps = JSON.parse(readFileSync(join(out, 'detections', 'maps.json'), 'utf8'));
    const file = (name: string) => parseCocoResults(readFileSync(detectionsFile(out, name), 'utf8'), `${name}.json`);
    expect(cocoMap(gt.images, file('teacher')).map50).toBe(r.teacher.metric);
    for (const s of r.students) {
      const name = `${detShortName(r.config.students.find((a) => a.name === s.arch)!)}-${s.method}`;
      const m = cocoMap(gt.images, file(name));
      expect(m.map50).toBe(s.metric);
      expect(maps[name].map).toBe(m.map);
      expect(maps[name].map50).toBe(s.metric);
    }
  });

  it('is deterministic per seed', () => {
    expect(numbers(again)).toEqual(numbers(r));
  });
});
