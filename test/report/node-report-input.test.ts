/**
 * The report inputs built from captures on disk (src/report/node-report-input.ts): the
 * second pass for the cross-layer matrix, its layers in network order, and a warning instead
 * of a failed report when the matrix cannot be computed.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { typescriptBackend } from '../../src/linalg/typescript-backend.js';
import { networkOrder, scoreReportInput } from '../../src/report/node-report-input.js';
import type { ScoreReportInput } from '../../src/report/report.js';

const f = (name: string) => `test/fixtures/score/${name}`;
const opener = async () => ({ backend: typescriptBackend, dispose: async () => {} });
const dir = mkdtempSync(join(tmpdir(), 'krs-report-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const result = { task: 'classification', n: 64, warnings: [] } as unknown as ScoreReportInput['result'];

describe('report inputs from captures', () => {
  it('networkOrder: a file keeps its order; a folder of .npy files is sorted naturally', () => {
    expect(networkOrder(f('cls-teacher.npz'), ['b', 'a10', 'a9'])).toEqual(['b', 'a10', 'a9']);
    const folder = join(dir, 'npy');
    mkdirSync(folder);
    writeFileSync(join(folder, 'x.npy'), '');
    expect(networkOrder(folder, ['layer10', 'layer9', 'layer1'])).toEqual(['layer1', 'layer9', 'layer10']);
    expect(networkOrder(join(dir, 'missing'), ['b', 'a'])).toEqual(['b', 'a']);
  });

  it('scoreReportInput: the cross-layer matrix of the captures, every teacher layer × every student layer', async () => {
    const input = await scoreReportInput({ teacher: f('cls-teacher.npz'), student: f('cls-student.npz') }, result, opener);
    expect(input.kind).toBe('score');
    const m = input.crossLayer!;
    expect(m.cka.length).toBe(m.teacherLayers.length);
    expect(m.cka[0]!.length).toBe(m.studentLayers.length);
    for (const row of m.cka) for (const v of row) expect(v === null || (v >= 0 && v <= 1 + 1e-9)).toBe(true);
    expect(input.result.warnings).toEqual([]);
  });

  it('a matrix that cannot be computed becomes a warning of the result, not a failed report', async () => {
    const input = await scoreReportInput({ teacher: f('cls-teacher.npz'), student: f('nlp-student.npz') }, result, opener);
    expect(input.crossLayer).toBeNull();
    expect(input.result.warnings).toHaveLength(1);
    expect(input.result.warnings![0]).toMatch(/^cross-layer heatmap left out: /);
  });
});
