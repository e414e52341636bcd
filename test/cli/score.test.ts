import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BLAS_ADDON_PATH } from '../../src/runtime/blas-backend.js';
import { krs } from '../helpers/cli.js';
import { expectClose, fixturePath, loadJson } from '../helpers/fixtures.js';

const ex = loadJson('score/expected.json');
const f = (name: string) => fixturePath(`score/${name}`);

/** Run `krs score … --json` and parse stdout. */
async function scoreJson(...args: string[]): Promise<any> {
  const r = await krs('score', ...args, '--json');
  if (r.status !== 0) throw new Error(`krs score exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe('krs score, end to end on captures written by NumPy', () => {
  it('classification: npz vs compressed npz, float16 layer, int64 ids in another order', async () => {
    const out = await scoreJson('--task', 'classification', '--teacher', f('cls-teacher.npz'), '--student', f('cls-student.npz'), '--backend', 'typescript');
    const e = ex.classification;
    expect(out.task).toBe('classification');
    expect(out.n).toBe(e.n);
    expect(out.alpha).toBe(0.3);
    expectClose(out.beta, 0.7, 1e-15);
    expect(out.similarity).toBe('cka');
    expect(out.layers.map((l: any) => [l.teacher, l.student])).toEqual([
      ['conv', 'conv'],
      ['fc', 'fc'],
    ]);
    expectClose(out.layers[0].score, 100 * e.layers.conv, 1e-9);
    expectClose(out.layers[1].score, 100 * e.layers.fc, 1e-9);
    expectClose(out.fss, e.fss, 1e-9);
    expectClose(out.aoa, e.output.aoa, 1e-9);
    expectClose(out.krs, e.krs, 1e-9);
    expectClose(out.output.meanKl, e.output.meanKl, 1e-9);
    expectClose(out.output.top1Agreement, e.output.top1Agreement, 1e-12);
    expect(out.output.metric).toBe('kl-agreement');
    expect(out.ids).toBe('ids');
    expect(out.warnings.join(' ')).toMatch(/reordered by 'ids'/);
  });

  it('string sample ids (<U on one side, |S on the other) align the samples', async () => {
    const out = await scoreJson(
      '--task',
      'classification',
      '--teacher',
      f('cls-teacher-strids.npz'),
      '--student',
      f('cls-student-strids.npz'),
      '--backend',
      'typescript',
    );
    expect(out.ids).toBe('sample_ids');
    expectClose(out.krs, ex.classification.krs, 1e-9);
    const missing = await krs('score', '--task', 'classification', '--teacher', f('cls-teacher.npz'), '--student', f('cls-student-strids.npz'), '--ids', 'ids');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/id array 'ids' not found in .*cls-student-strids\.npz/);
  });

  it('the ONNX Runtime backend agrees with the float64 backend', async () => {
    const out = await scoreJson('--task', 'classification', '--teacher', f('cls-teacher.npz'), '--student', f('cls-student.npz'), '--backend', 'onnxruntime');
    expect(out.backend).toBe('onnxruntime-f32');
    expectClose(out.fss, ex.classification.fss, 1e-5);
    expectClose(out.krs, ex.classification.krs, 1e-5);
  });

  it.skipIf(!existsSync(BLAS_ADDON_PATH))('the OpenBLAS backend (when built: npm run build:native) agrees with the float64 backend', async () => {
    const out = await scoreJson('--task', 'classification', '--teacher', f('cls-teacher.npz'), '--student', f('cls-student.npz'), '--backend', 'openblas');
    expect(out.backend).toBe('openblas-f32');
    expectClose(out.fss, ex.classification.fss, 1e-5);
    expectClose(out.krs, ex.classification.krs, 1e-5);
  });

  it('options: --pair, --alpha, --beta, --pool gap, --temperature', async () => {
    const base = ['--task', 'classification', '--teacher', f('cls-teacher.npz'), '--student', f('cls-student.npz'), '--backend', 'typescript'];
    expectClose((await scoreJson(...base, '--pair', 'fc:fc')).fss, ex.classification.fcOnlyFss, 1e-9);
    expectClose((await scoreJson(...base, '--alpha', '0.5', '--beta', '0.5')).krs, ex.classification.krsAlpha05, 1e-9);
    expectClose((await scoreJson(...base, '--pool', 'gap')).fss, ex.classification.gapFss, 1e-9);
    expectClose((await scoreJson(...base, '--temperature', '2')).aoa, ex.classification.t2Aoa, 1e-9);
  });

  it('regression: equal widths use cosine (the preset), normalised MSE by teacher variance or --mse-max', async () => {
    const base = ['--task', 'regression', '--teacher', f('reg-teacher.npz'), '--student', f('reg-student.npz')];
    const out = await scoreJson(...base);
    expect(out.similarity).toBe('cosine');
    expectClose(out.fss, ex.regression.fss, 1e-9);
    expectClose(out.aoa, ex.regression.aoa, 1e-9);
    expectClose(out.krs, ex.regression.krs, 1e-9);
    expectClose((await scoreJson(...base, '--mse-max', '4')).aoa, ex.regression.aoaMseMax, 1e-9);
    expectClose((await scoreJson(...base, '--similarity', 'cka', '--backend', 'typescript')).fss, ex.regression.ckaFss, 1e-9);
  });

  it('nlp: masked mean pooling; different widths fall back to CKA with a note', async () => {
    const out = await scoreJson('--task', 'nlp', '--teacher', f('nlp-teacher.npz'), '--student', f('nlp-student.npz'), '--backend', 'typescript');
    expect(out.pool).toBe('mean');
    expect(out.similarity).toBe('cka');
    expect(out.warnings.join(' ')).toMatch(/cosine similarity, which needs equal widths; teacher width 12 ≠ student width 6/);
    expectClose(out.fss, ex.nlp.fss, 1e-9);
    expectClose(out.aoa, ex.nlp.aoa, 1e-9);
    expectClose(out.krs, ex.nlp.krs, 1e-9);
  });

  it('segmentation: PNG label-map folders plus feature captures', async () => {
    const out = await scoreJson(
      '--task',
      'segmentation',
      '--teacher',
      f('seg-teacher'),
      '--student',
      f('seg-student'),
      '--teacher-features',
      f('seg-teacher-features.npz'),
      '--student-features',
      f('seg-student-features.npz'),
      '--backend',
      'typescript',
    );
    expectClose(out.fss, ex.segmentation.fss, 1e-9);
    expectClose(out.aoa, ex.segmentation.aoa, 1e-9);
    expectClose(out.krs, ex.segmentation.krs, 1e-9);
    expect(out.alpha).toBe(0.7);
  });

  it('detection: COCO-results JSON plus feature captures', async () => {
    const out = await scoreJson(
      '--task',
      'detection',
      '--teacher',
      f('det-teacher.json'),
      '--student',
      f('det-student.json'),
      '--teacher-features',
      f('det-teacher-features.npz'),
      '--student-features',
      f('det-student-features.npz'),
      '--backend',
      'typescript',
    );
    expect(out.output.images).toBe(ex.detection.images);
    expectClose(out.fss, ex.detection.fss, 1e-9);
    expectClose(out.aoa, ex.detection.aoa, 1e-9);
    expectClose(out.krs, ex.detection.krs, 1e-9);
  });

  it('prints a readable table by default', async () => {
    const r = await krs('score', '--task', 'classification', '--teacher', f('cls-teacher.npz'), '--student', f('cls-student.npz'));
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/teacher layer\s+student layer\s+similarity/);
    expect(r.stdout).toMatch(/FSS\s+71\.97/);
    expect(r.stdout).toMatch(/KRS\s+87\.35 \[[\d.]+, [\d.]+\]\s+= 0\.3 × FSS \+ 0\.7 × AOA/);
    expect(r.stderr).toMatch(/warning: student samples were reordered/);
  });
});

/** Write .npz files with a tiny hand-made zip (stored entries) from .npy byte buffers. */
function npy(shape: number[], values: Float64Array | Float32Array, descr = '<f8'): Buffer {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header = `${header + ' '.repeat(pad === 64 ? 0 : pad)}\n`;
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(values.buffer, values.byteOffset, values.byteLength)]);
}

function folderCapture(arrays: Record<string, Buffer>): string {
  const dir = mkdtempSync(join(tmpdir(), 'krs-cap-'));
  for (const [k, v] of Object.entries(arrays)) writeFileSync(join(dir, `${k}.npy`), v);
  return dir;
}

function rand(n: number, seed: number): Float64Array {
  let s = seed;
  return Float64Array.from({ length: n }, () => (s = (s * 16807) % 2147483647) / 2147483647 - 0.5);
}

describe('krs score: bad input gives one line on stderr and a distinguishing exit status', () => {
  const good = () => ({ fc: npy([20, 4], rand(80, 1)), logits: npy([20, 3], rand(60, 2)) });
  const expectOneLine = (r: { status: number | null; stderr: string; stdout: string }, status: number, ...patterns: RegExp[]) => {
    expect(r.status).toBe(status);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^krs: /);
    expect(r.stderr).not.toMatch(/\s+at .*\.js:\d+/);
    for (const p of patterns) expect(r.stderr).toMatch(p);
  };
  const score = (t: string, s: string, ...more: string[]) => krs('score', '--task', 'classification', '--teacher', t, '--student', s, ...more);

  it('mismatched sample counts (exit 3)', async () => {
    const t = folderCapture(good());
    const s = folderCapture({ fc: npy([19, 4], rand(76, 3)), logits: npy([19, 3], rand(57, 4)) });
    expectOneLine(await score(t, s), 3, /teacher has 20 samples, student has 19/);
  });
  it('differing ids (exit 3), naming the ids', async () => {
    const ids = (v: number[]) => npy([v.length], Float64Array.from(v), '<f8');
    const t = folderCapture({ ...good(), ids: ids([...Array(20).keys()]) });
    const s = folderCapture({ ...good(), ids: ids([...Array(19).keys(), 99]) });
    expectOneLine(await score(t, s), 3, /sample ids differ/, /only in .* \("19"\)/, /\("99"\)/);
  });
  it('NaN in a layer (exit 3), naming layer and file position', async () => {
    const bad = rand(80, 1);
    bad[13] = NaN;
    const t = folderCapture({ ...good(), fc: npy([20, 4], bad) });
    expectOneLine(await score(t, folderCapture(good())), 3, /teacher layer 'fc'/, /NaN at flat index 13/);
  });
  it('a constant layer (exit 3)', async () => {
    const s = folderCapture({ ...good(), fc: npy([20, 4], new Float64Array(80).fill(2)) });
    expectOneLine(await score(folderCapture(good()), s), 3, /student layer 'fc'/, /constant/);
  });
  it('an unknown layer (exit 2), listing what the capture has', async () => {
    const t = folderCapture(good());
    expectOneLine(await score(t, folderCapture(good()), '--pair', 'fc:conv9'), 2, /student layer 'conv9' not found/, /available: fc, logits/);
  });
  it('a missing output key (exit 2)', async () => {
    const t = folderCapture({ fc: npy([20, 4], rand(80, 1)) });
    expectOneLine(await score(t, folderCapture(good())), 2, /output array/, /not found/);
  });
  it('α outside [0, 1] and α + β ≠ 1 (exit 2)', async () => {
    const t = folderCapture(good());
    const s = folderCapture(good());
    expectOneLine(await score(t, s, '--alpha', '1.5'), 2, /alpha must be in \[0, 1\], got 1.5/);
    expectOneLine(await score(t, s, '--alpha', '0.3', '--beta', '0.6'), 2, /alpha \+ beta must equal 1/);
    expectOneLine(await score(t, s, '--alpha', 'abc'), 2, /--alpha "abc"/);
  });
  it('an unknown task and a missing file', async () => {
    expectOneLine(await krs('score', '--task', 'ranking', '--teacher', 'a', '--student', 'b'), 2, /--task "ranking"/);
    expectOneLine(await score('/nonexistent/t.npz', '/nonexistent/s.npz'), 3, /\/nonexistent\/t.npz/);
  });
  it('truncated npz (exit 3)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'krs-trunc-'));
    const bytes = readFileSync(f('cls-teacher.npz'));
    writeFileSync(join(dir, 't.npz'), bytes.subarray(0, bytes.length - 200));
    expectOneLine(await score(join(dir, 't.npz'), f('cls-student.npz')), 3, /t\.npz/);
  });
  it("layer names containing ':' (PyTorch's onnx::Gemm_8) in --pair", async () => {
    const t = folderCapture({ 'onnx::Gemm_8': npy([20, 4], rand(80, 1)), logits: npy([20, 3], rand(60, 2)) });
    const s = folderCapture({ 'fc:1': npy([20, 4], rand(80, 5)), logits: npy([20, 3], rand(60, 6)) });
    const r = await score(t, s, '--pair', 'onnx::Gemm_8:fc:1', '--json');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).layers[0]).toMatchObject({ teacher: 'onnx::Gemm_8', student: 'fc:1' });
    expectOneLine(await score(t, s, '--pair', 'onnx::Gemm_8:fc:2'), 2, /student layer 'fc:2' not found/);
  });
  it('a minibatch of fewer than 4 samples (exit 3)', async () => {
    const r = await krs(
      'score',
      '--task',
      'classification',
      '--teacher',
      f('cls-teacher.npz'),
      '--student',
      f('cls-student.npz'),
      '--estimator',
      'minibatch',
      '--batch-size',
      '3',
    );
    expectOneLine(r, 3, /minibatch size is 3/, /at least 4 samples/);
  });
  it('--json also puts the error payload on stdout', async () => {
    const r = await score(folderCapture(good()), folderCapture(good()), '--alpha', '2', '--json');
    expect(r.status).toBe(2);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'BAD_WEIGHT', kind: 'usage' });
  });
  it('detection boxes with negative width (exit 3)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'krs-det-'));
    writeFileSync(join(dir, 'bad.json'), JSON.stringify([{ image_id: 1, category_id: 1, bbox: [0, 0, -3, 4], score: 0.9 }]));
    const r = await krs(
      'score',
      '--task',
      'detection',
      '--teacher',
      join(dir, 'bad.json'),
      '--student',
      f('det-student.json'),
      '--teacher-features',
      f('det-teacher-features.npz'),
      '--student-features',
      f('det-student-features.npz'),
    );
    expectOneLine(r, 3, /bad\.json/, /width|negative/);
  });
  it('label maps of different sizes (exit 3)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'krs-seg-'));
    mkdirSync(join(dir, 'student'));
    for (const name of readdirSync(f('seg-student'))) copyFileSync(join(f('seg-student'), name), join(dir, 'student', name));
    // replace one student map by a valid 8-bit greyscale PNG of another size (4×3)
    writeFileSync(join(dir, 'student', 'img002.png'), greyPng(4, 3));
    const r = await krs(
      'score',
      '--task',
      'segmentation',
      '--teacher',
      f('seg-teacher'),
      '--student',
      join(dir, 'student'),
      '--teacher-features',
      f('seg-teacher-features.npz'),
      '--student-features',
      f('seg-student-features.npz'),
    );
    expectOneLine(r, 3, /img002/, /\[9, 11\]|9×11/);
  });
});

/** A valid 8-bit greyscale PNG of w×h zeros. */
function greyPng(w: number, h: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const raw = Buffer.alloc(h * (w + 1));
  return Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
