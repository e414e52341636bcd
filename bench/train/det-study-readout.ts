/**
 * Read out a finished detection study (not a test; run by hand) for the docs: the per-network
 * table (mAP@0.5, mAP@[.5:.95], FSS / AOA / KRS with intervals, Δ with paired se) as Markdown,
 * and the sensitivity of r(post-KD KRS, post-KD mAP@0.5) to AOA's score threshold — AOA
 * recomputed with krs's detection agreement from the COCO files the study wrote, KRS =
 * α·FSS + (1 − α)·AOA with the study's FSS (no intervals for the recomputed values).
 *
 *     npx tsx bench/train/det-study-readout.ts <study-out-dir> [thresholds=0.2,0.3,0.4,0.5]
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { detectionAgreement } from '../../src/agreement/detection.js';
import { parseCocoResults } from '../../src/io/coco.js';
import { detectionImages } from '../../src/train/detection-study.js';

const dir = process.argv[2]!;
const thresholds = (process.argv[3] ?? '0.2,0.3,0.4,0.5').split(',').map(Number);
const r = JSON.parse(readFileSync(path.join(dir, 'results.json'), 'utf8'));
const maps = JSON.parse(readFileSync(path.join(dir, 'detections', 'maps.json'), 'utf8'));
const f2 = (v: number) => v.toFixed(2);
const ci = (c: [number, number] | null) => (c ? `[${f2(c[0])}, ${f2(c[1])}]` : '');
const short = (arch: string) => `d${arch.replace(/^det-/, '').replace(/-h\d+$/, '')}`;
const dets = (name: string) => parseCocoResults(readFileSync(path.join(dir, 'detections', `${name}.json`), 'utf8'), `${name}.json`);

console.log(`teacher ${r.teacher.arch}: mAP@0.5 ${f2(maps.teacher.map50)}, mAP@[.5:.95] ${f2(maps.teacher.map)}, mAP@.75 ${f2(maps.teacher.map75)}\n`);
console.log('| student (params) | method | mAP@0.5 | mAP@[.5:.95] | FSS [95 % CI] | AOA [95 % CI] | KRS [95 % CI] | ΔKRS | ΔmAP@0.5 ± se |');
console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|');
for (const s of r.students) {
  const name = `${short(s.arch)}-${s.method}`;
  const e = r.experiments.find((x: { id: string }) => x.id === name);
  const delta = e ? `${e.deltaKrs >= 0 ? '+' : '−'}${f2(Math.abs(e.deltaKrs))}` : '';
  const dm = e ? `${e.deltaMetric >= 0 ? '+' : '−'}${f2(Math.abs(e.deltaMetric))} ± ${f2(e.deltaMetricSe)}${e.metricDifferenceSignificant ? ' *' : ''}` : '';
  const label = s.method === 'baseline' ? `${short(s.arch)} (${s.params})` : '';
  console.log(
    `| ${label} | ${s.method} | ${f2(s.metric)} | ${f2(maps[name].map)} | ${f2(s.fss)} ${ci(s.ci95.fss)} | ${f2(s.aoa)} ${ci(s.ci95.aoa)} | ${f2(s.krs)} ${ci(s.ci95.krs)} | ${delta} | ${dm} |`,
  );
}

const pearson = (x: number[], y: number[]) => {
  const mx = x.reduce((a, b) => a + b) / x.length;
  const my = y.reduce((a, b) => a + b) / y.length;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  x.forEach((v, i) => {
    sxy += (v - mx) * (y[i]! - my);
    sxx += (v - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  });
  return sxy / Math.sqrt(sxx * syy);
};
const teacher = dets('teacher');
const ids = Array.from({ length: r.data.test }, (_, i) => String(i + 1));
const iouMin = r.config.aoaIouMin;
console.log(
  `\nAOA score threshold sensitivity (IoU ≥ ${iouMin}; α = ${r.alpha}; KD students n = ${r.experiments.length}, all students n = ${r.students.length})`,
);
interface Row {
  kd: boolean;
  krs: number;
  aoa: number;
  metric: number;
  tBoxes: number;
}
const rOf = (rows: Row[], v: (x: Row) => number) =>
  f2(
    pearson(
      rows.map(v),
      rows.map((x) => x.metric),
    ),
  );
for (const t of thresholds) {
  const rows: Row[] = r.students.map((s: { arch: string; method: string; fss: number; metric: number }) => {
    const a = detectionAgreement(detectionImages(ids, teacher, dets(`${short(s.arch)}-${s.method}`)), { scoreMin: t, iouMin });
    return { kd: s.method !== 'baseline', krs: r.alpha * s.fss + (1 - r.alpha) * a.aoa, aoa: a.aoa, metric: s.metric, tBoxes: a.teacherBoxes };
  });
  const kd = rows.filter((x) => x.kd);
  const aoaList = rows.map((x) => f2(x.aoa)).join(' ');
  const krs = (x: Row) => x.krs;
  console.log(
    `score ≥ ${t}: teacher boxes ${rows[0]!.tBoxes}; r(KRS, mAP) KD ${rOf(kd, krs)}, all ${rOf(rows, krs)}; r(AOA, mAP) all ${rOf(rows, (x) => x.aoa)}; AOA ${aoaList}`,
  );
}

// The study's statistics (results.json summary, analysis.json from `krs analyze`) and the heatmaps.
const a = JSON.parse(readFileSync(path.join(dir, 'analysis.json'), 'utf8'));
const s = r.summary;
const ci3 = (c: [number, number] | null) => (c ? `[${c[0].toFixed(3)}, ${c[1].toFixed(3)}]` : '—');
const corr = (c: { r: number | null; p: number | null; ci95: [number, number] | null; reason?: string }) =>
  c.r === null ? `undefined (${c.reason})` : `r = ${c.r.toFixed(3)}, p = ${c.p!.toPrecision(2)}, 95 % CI ${ci3(c.ci95)}`;
console.log(`\nr(post-KD KRS, post-KD mAP@0.5) over ${s.experiments}: ${corr(s.krsVsMetric)}`);
console.log(`r(ΔKRS, ΔmAP@0.5): ${corr(s.deltaKrsVsDeltaMetric)}`);
console.log(`r over all ${s.allStudents.n} students: ${corr(s.allStudents)}`);
const t = a.tasks.detection;
console.log(
  `paired t of KRS after vs before: t(${t.pairedT.df}) = ${t.pairedT.t?.toFixed(2)}, p = ${t.pairedT.p?.toPrecision(2)}, mean ΔKRS ${t.pairedT.meanDifference?.toFixed(2)}`,
);
console.log(`mean KRS pre ${t.pre.mean.toFixed(2)} ${ci(t.pre.ci95)} → post ${t.post.mean.toFixed(2)} ${ci(t.post.ci95)}`);
const k = a.methods.kendall;
console.log(`Kendall τ (methods by mAP gain vs by KRS gain): τ = ${k.tau?.toFixed(2)}, p = ${k.p?.toPrecision(2)} (${k.n} methods) ${k.reason ?? ''}`);
for (const m of a.methods.table)
  console.log(
    `  ${m.method}: mean ΔmAP ${m.meanDeltaMetric.toFixed(2)} (rank ${m.rankByMetric}), mean ΔKRS ${m.meanDeltaKrs.toFixed(2)} (rank ${m.rankByKrs})`,
  );
console.log(`KD raised KRS in ${s.krsRaised}, mAP in ${s.metricRaised}, same direction ${s.sameDirection}; beyond 1.96 se: ${s.significantMetricDifferences}`);
const sweep = s.alphaSweep.points.filter((p: { r: number | null }) => p.r !== null);
const at = (x: number) => sweep.find((p: { alpha: number }) => Math.abs(p.alpha - x) < 1e-9)?.r?.toFixed(3);
console.log(`α sweep: best ${JSON.stringify(s.alphaSweep.best)}; r at α = 0: ${at(0)}, 0.3: ${at(0.3)}, 0.5: ${at(0.5)}, 0.7: ${at(0.7)}, 1: ${at(1)}`);
console.log('\ncross-layer CKA (teacher rows stage1..head × student columns), diagonal and stage3 row:');
for (const h of r.heatmaps) {
  const diag = h.cka.map((row: (number | null)[], i: number) => row[i]?.toFixed(2)).join(' ');
  console.log(`  ${h.short} ${h.method}: diagonal ${diag}`);
}
