/**
 * bench/paired-error: does the paired jackknife se of ΔmAP (src/train/paired-error.ts) measure
 * the spread of ΔmAP from one test set to the next? A simulated detection population (3
 * categories, 0–5 boxes an image, an image difficulty shared by both students so that their
 * errors are correlated, as a student's before and after distillation are); student A finds
 * fewer boxes and localises worse than student B. Draws `--sets` independent test sets of
 * `--n` images; for each, ΔmAP@[.5:.95] and ΔmAP@.5 with their jackknife se and 95 % interval
 * at G = 5, 20 and n groups (delete-one). Reports the standard deviation of Δ over the sets
 * (the true se), the mean jackknife se, and how often the interval covers the population Δ
 * (ΔmAP on one test set of `--population` images).
 *
 *   node bench/paired-error/coverage.mjs [--n 200] [--sets 300] [--population 20000] [--seed 1]
 *
 * Seeded (src/core/rng.ts), so the numbers are reproducible; docs/formulas.md quotes them.
 */
import { ensureBuild, option, root } from '../score/common.mjs';

const args = process.argv.slice(2);
const n = Number(option(args, 'n', '200'));
const sets = Number(option(args, 'sets', '300'));
const population = Number(option(args, 'population', '20000'));
const seed = Number(option(args, 'seed', '1'));
const log = (s) => process.stderr.write(`${s}\n`);
ensureBuild(log, [
  ['dist/train/paired-error.js', 'src/train/paired-error.ts'],
  ['dist/train/coco-map.js', 'src/train/coco-map.ts'],
]);
const { createRng } = await import(`${root}/dist/core/rng.js`);
const { cocoMap } = await import(`${root}/dist/train/coco-map.js`);
const { pairedMapErrors } = await import(`${root}/dist/train/paired-error.js`);

const STUDENTS = {
  before: { found: 0.75, jitter: 0.1, falsePositives: 1.2 },
  after: { found: 0.8, jitter: 0.085, falsePositives: 1.0 },
};

/** Poisson draw (Knuth), small means. */
function poisson(rng, mean) {
  const l = Math.exp(-mean);
  let k = 0;
  let p = rng.next();
  while (p > l) {
    k++;
    p *= rng.next();
  }
  return k;
}
const normal = (rng) => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
const box = (rng) => [rng.next() * 80, rng.next() * 80, 5 + rng.next() * 35, 5 + rng.next() * 35];

/** One test set: ground truth and both students' detections. */
function testSet(rng, images, prefix) {
  const gt = [];
  const dets = { before: [], after: [] };
  for (let i = 0; i < images; i++) {
    const imageId = `${prefix}${i}`;
    const difficulty = rng.next();
    const boxes = Array.from({ length: rng.int(6) }, () => ({ categoryId: 1 + rng.int(3), bbox: box(rng) }));
    gt.push({ imageId, boxes });
    for (const [name, s] of Object.entries(STUDENTS)) {
      for (const b of boxes) {
        if (rng.next() > s.found * (1 - 0.5 * difficulty)) continue;
        const [x, y, w, h] = b.bbox;
        const j = s.jitter * (0.5 + difficulty);
        const bbox = [x + normal(rng) * j * w, y + normal(rng) * j * h, w * Math.exp(normal(rng) * j), h * Math.exp(normal(rng) * j)];
        dets[name].push({ imageId, categoryId: b.categoryId, bbox, score: 0.3 + 0.7 * rng.next() * (1 - 0.5 * difficulty) });
      }
      for (let k = poisson(rng, s.falsePositives * (0.5 + difficulty)); k > 0; k--) {
        dets[name].push({ imageId, categoryId: 1 + rng.int(3), bbox: box(rng), score: 0.8 * rng.next() });
      }
    }
  }
  return { gt, dets };
}

const rng = createRng(seed, 'bench-paired-error');
const pop = testSet(rng, population, 'p');
const truth = {
  map: cocoMap(pop.gt, pop.dets.after).map - cocoMap(pop.gt, pop.dets.before).map,
  map50: cocoMap(pop.gt, pop.dets.after).map50 - cocoMap(pop.gt, pop.dets.before).map50,
};
log(`population of ${population} images: ΔmAP = ${truth.map.toFixed(3)}, ΔmAP@.5 = ${truth.map50.toFixed(3)}`);

const groupings = [5, 20, n];
const rows = Object.fromEntries(['map', 'map50'].flatMap((k) => groupings.map((g) => [`${k}|${g}`, { deltas: [], ses: [], covered: 0, defined: 0 }])));
for (let r = 0; r < sets; r++) {
  const { gt, dets } = testSet(rng, n, `s${r}-`);
  for (const g of groupings) {
    const res = pairedMapErrors(gt, dets.before, dets.after, { groups: g });
    for (const k of ['map', 'map50']) {
      const row = rows[`${k}|${g}`];
      row.deltas.push(res[k].delta);
      if (res[k].se === null) continue;
      row.defined++;
      row.ses.push(res[k].se);
      if (res[k].ci95[0] <= truth[k] && truth[k] <= res[k].ci95[1]) row.covered++;
    }
  }
  if ((r + 1) % 50 === 0) log(`${r + 1}/${sets} test sets`);
}
const mean = (v) => v.reduce((a, b) => a + b, 0) / v.length;
const sd = (v) => Math.sqrt(v.reduce((a, b) => a + (b - mean(v)) ** 2, 0) / (v.length - 1));
console.log(`n = ${n} images a test set, ${sets} test sets, population Δ from ${population} images (seed ${seed})`);
console.log('metric         groups  mean Δ   sd of Δ   mean se   se/sd   coverage of 95 % CI');
for (const [key, row] of Object.entries(rows)) {
  const [k, g] = key.split('|');
  const name = k === 'map' ? 'ΔmAP@[.5:.95]' : 'ΔmAP@.5     ';
  console.log(
    `${name}  ${String(g).padStart(6)}  ${mean(row.deltas).toFixed(3).padStart(6)}  ${sd(row.deltas).toFixed(3).padStart(8)}  ${mean(row.ses).toFixed(3).padStart(8)}  ${(mean(row.ses) / sd(row.deltas)).toFixed(2).padStart(6)}   ${((100 * row.covered) / row.defined).toFixed(1)} % of ${row.defined}`,
  );
}
