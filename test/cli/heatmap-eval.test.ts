/**
 * The report of `krs eval --all-pairs` on the real MNIST models (the built CLI), and
 * `krs heatmap --from` on its JSON.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { krs } from '../helpers/cli.js';
import { model } from '../helpers/models.js';

const dir = mkdtempSync(join(tmpdir(), 'krs-heatmap-eval-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('krs eval --all-pairs --report', () => {
  it('reports the models, the score and the cross-layer heatmap; krs heatmap --from redraws the matrix', () => {
    const report = join(dir, 'eval.html');
    const charts = join(dir, 'charts');
    const r = krs(
      'eval',
      '--teacher',
      model('zoo-mnist-8.onnx'),
      '--student',
      model('michbogos-mnist.onnx'),
      '--input',
      'mnist',
      '--task',
      'classification',
      '--preprocess',
      'symmetric',
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
    );
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    const html = readFileSync(report, 'utf8');
    expect(html).toContain('zoo-mnist-8.onnx (accuracy ');
    expect(html).toContain('data-chart="cross-layer-cka"');
    for (const layer of result.crossLayer.teacherLayers) expect(html).toContain(`>${layer}<`);
    expect(readdirSync(charts)).toContain('cross-layer-cka.png');

    const json = join(dir, 'eval.json');
    writeFileSync(json, r.stdout);
    const h = krs('heatmap', '--from', json, '--out', join(dir, 'from.png'), '--json');
    expect(h.status, h.stderr).toBe(0);
    expect(JSON.parse(h.stdout).cka).toEqual(result.crossLayer.cka);
  });
});
