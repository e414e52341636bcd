/**
 * The report of `krs eval --all-pairs` on MNIST models (the built CLI), and `krs heatmap --from`
 * on its JSON: with the project's own test models, and with the public models when
 * ../shared/models (or KRS_MODELS_DIR) holds them.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { krs } from '../helpers/cli.js';
import { notePublicModels, ownModel, publicModel, publicModelsAvailable } from '../helpers/models.js';

notePublicModels();

const dir = mkdtempSync(join(tmpdir(), 'krs-heatmap-eval-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Run eval --all-pairs --report on a teacher/student pair, check the report and charts, and redraw the matrix from the JSON. */
async function reportAndRedraw(name: string, teacher: string, student: string, extra: string[]): Promise<void> {
  const report = join(dir, `${name}.html`);
  const charts = join(dir, `${name}-charts`);
  const r = await krs(
    'eval',
    '--teacher',
    teacher,
    '--student',
    student,
    '--input',
    'mnist',
    '--task',
    'classification',
    '--student-outputs',
    'sigmoid',
    '--limit',
    '300',
    '--all-pairs',
    '--no-progress',
    '--json',
    '--report',
    report,
    '--charts',
    charts,
    ...extra,
  );
  expect(r.status, r.stderr).toBe(0);
  const result = JSON.parse(r.stdout);
  const html = readFileSync(report, 'utf8');
  expect(html).toContain(`${basename(teacher)} (accuracy `);
  expect(html).toContain('data-chart="cross-layer-cka"');
  for (const layer of result.crossLayer.teacherLayers) expect(html).toContain(`>${layer}<`);
  for (const layer of result.crossLayer.studentLayers) expect(html).toContain(`>${layer}<`);
  expect(readdirSync(charts)).toContain('cross-layer-cka.png');

  const json = join(dir, `${name}.json`);
  writeFileSync(json, r.stdout);
  const h = await krs('heatmap', '--from', json, '--out', join(dir, `${name}-from.png`), '--json');
  expect(h.status, h.stderr).toBe(0);
  const redrawn = JSON.parse(h.stdout);
  expect(redrawn.cka).toEqual(result.crossLayer.cka);
  expect(readdirSync(dir)).toContain(`${name}-from.png`);
}

describe('krs eval --all-pairs --report', () => {
  it('the test CNN vs the sigmoid MLP: the models, the score and the cross-layer heatmap; krs heatmap --from redraws the matrix', async () => {
    await reportAndRedraw('own', ownModel('cnn.onnx'), ownModel('mlp-sigmoid.onnx'), []);
  });
});

describe.skipIf(!publicModelsAvailable)('krs eval --all-pairs --report on the public models (../shared/models)', () => {
  it('zoo-mnist-8 vs michbogos-mnist (--preprocess symmetric)', async () => {
    await reportAndRedraw('public', publicModel('zoo-mnist-8.onnx'), publicModel('michbogos-mnist.onnx'), ['--preprocess', 'symmetric']);
  });
});
