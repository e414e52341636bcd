/**
 * Read out the finished networks of a detection study that was stopped before its end (not a
 * test; run by hand): from the COCO files it wrote, each network's mAP@0.5 / mAP@[.5:.95], and
 * for every KD student whose size's baseline is there, ΔmAP@0.5 with the study's paired
 * jackknife se (`pairedMapErrors`, 20 groups of held-out scenes) and AOA at several score
 * thresholds (IoU ≥ 0.5). FSS and KRS are the study's log lines (not recomputed here).
 *
 *     npx tsx bench/train/det-partial-readout.ts <study-out-dir>
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { detectionAgreement } from '../../src/agreement/detection.js';
import { parseCocoResults } from '../../src/io/coco.js';
import { parseCocoGroundTruth } from '../../src/io/coco-ground-truth.js';
import { detectionImages } from '../../src/train/detection-study.js';
import { pairedMapErrors } from '../../src/train/paired-error.js';

const dir = process.argv[2]!;
const gt = parseCocoGroundTruth(readFileSync(path.join(dir, 'ground-truth.json'), 'utf8'), 'ground-truth.json').images;
const maps = JSON.parse(readFileSync(path.join(dir, 'detections', 'maps.json'), 'utf8'));
const dets = (name: string) => parseCocoResults(readFileSync(path.join(dir, 'detections', `${name}.json`), 'utf8'), `${name}.json`);
const ids = gt.map((g) => g.imageId);
const teacher = dets('teacher');
const names = readdirSync(path.join(dir, 'detections'))
  .filter((f) => f.endsWith('.json') && f !== 'maps.json')
  .map((f) => f.replace(/\.json$/, ''));
for (const name of names) {
  const m = maps[name];
  const aoa = [0.3, 0.4, 0.5].map((t) => detectionAgreement(detectionImages(ids, teacher, dets(name)), { scoreMin: t, iouMin: 0.5 }).aoa.toFixed(2));
  let delta = '';
  const base = name.replace(/-(output|fitnet|imitation)$/, '-baseline');
  if (base !== name && names.includes(base)) {
    const e = pairedMapErrors(gt, dets(base), dets(name), { groups: 20 });
    delta = `ΔmAP@0.5 ${(m.map50 - maps[base].map50).toFixed(2)} ± ${e.map50.se?.toFixed(2)}, ΔmAP@[.5:.95] ${(m.map - maps[base].map).toFixed(2)} ± ${e.map.se?.toFixed(2)}`;
  }
  console.log(
    `${name}: mAP@0.5 ${m.map50.toFixed(2)} mAP@[.5:.95] ${m.map.toFixed(2)} mAP@.75 ${m.map75.toFixed(2)}; AOA at score ≥ 0.3/0.4/0.5: ${aoa.join(' / ')} ${delta}`,
  );
}
