/**
 * Sharded runs end to end: `krs score|eval --shard i/N --state-out FILE`, then `krs merge`,
 * give the single run's output to 1e-12 relative — every task family, every similarity, the
 * minibatch estimator, the null level, a baseline, several students — in any merge order or
 * tree; and every way of getting it wrong is a one-line error.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/rng.js';
import { decodeFloat64, encodeFloat64 } from '../../src/core/serialize.js';
import { openCapture } from '../../src/io/node-capture.js';
import { NpzWriter } from '../../src/io/node-npz-writer.js';
import { readSafetensorsHeader } from '../../src/io/safetensors.js';
import { bytesSource } from '../../src/io/source.js';
import { decodeStateFile, encodeStateFile } from '../../src/io/state-file.js';
import { krs } from '../helpers/cli.js';
import { fixturePath } from '../helpers/fixtures.js';

const f = (name: string) => fixturePath(`score/${name}`);
const M = (name: string) => fixturePath(`models/${name}`);
const dir = mkdtempSync(join(tmpdir(), 'krs-shards-'));
let fileCount = 0;
const tmp = (name: string) => join(dir, `${fileCount++}-${name}`);

/**
 * Every leaf of `b` equals `a`'s: numbers to `rel` relative (absolute near 0), the rest exactly.
 * Returns the first difference's path, or null.
 */
function differs(a: unknown, b: unknown, path = '$', rel = 1e-12): string | null {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) && Number.isNaN(b)) return null;
    return Math.abs(a - b) <= rel * Math.max(1, Math.abs(a), Math.abs(b)) ? null : `${path}: ${a} vs ${b}`;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) {
      const d = differs((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`, rel);
      if (d) return d;
    }
    return null;
  }
  return a === b ? null : `${path}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
}

async function ok(...args: string[]): Promise<string> {
  const r = await krs(...args);
  if (r.status !== 0) throw new Error(`krs ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** The timing fields of an eval differ from run to run; everything else must not. */
function withoutTimes(x: any): any {
  const { timing: _t, ...rest } = x;
  return rest;
}

/** Run `command args` whole and in `n` shards; merge the states in reverse order and as a tree; every output must equal the whole run's. */
async function expectShardsEqualWhole(command: 'score' | 'eval', args: string[], n: number): Promise<void> {
  const whole = JSON.parse(await ok(command, ...args, '--json'));
  const states: string[] = [];
  for (let i = 0; i < n; i++) {
    const file = tmp(`shard-${i}.krs`);
    await ok(command, ...args, '--shard', `${i}/${n}`, '--state-out', file);
    states.push(file);
  }
  const reversed = JSON.parse(await ok('merge', ...[...states].reverse(), '--json'));
  const left = tmp('left.krs');
  const right = tmp('right.krs');
  // An interleaved tree: even shards, odd shards, then both.
  await ok('merge', ...states.filter((_, i) => i % 2 === 0), '--state-out', left);
  await ok('merge', ...states.filter((_, i) => i % 2 === 1), '--state-out', right);
  const tree = JSON.parse(await ok('merge', right, left, '--json'));
  const clean = command === 'eval' ? withoutTimes : (x: unknown) => x;
  expect(differs(clean(whole), clean(reversed))).toBeNull();
  expect(differs(clean(whole), clean(tree))).toBeNull();
}

/** Captures whose layers are wider than the samples (48 × 700 and 48 × 300), so exact CKA takes the sample-space route. */
const wide = (() => {
  const rng = createRng(7, 'wide-captures');
  const n = 48;
  const t = new Float32Array(n * 700).map(() => rng.next() - 0.5);
  const s = new Float32Array(n * 300).map((_, k) => t[Math.floor(k / 300) * 700 + (k % 300)]! + 0.3 * (rng.next() - 0.5));
  const logits = (scale: number) => new Float32Array(n * 10).map((_, k) => scale * t[Math.floor(k / 10) * 700 + (k % 10)]!);
  const write = (file: string, layer: Float32Array, width: number, scale: number) => {
    const w = new NpzWriter(file, n);
    w.append('wide', { dtype: 'float32', shape: [n, width], data: layer });
    w.append('logits', { dtype: 'float32', shape: [n, 10], data: logits(scale) });
    w.finish();
    return file;
  };
  return { teacher: write(tmp('wide-teacher.npz'), t, 700, 8), student: write(tmp('wide-student.npz'), s, 300, 6) };
})();

const cls = ['--task', 'classification', '--teacher', f('cls-teacher.npz'), '--student', f('cls-student.npz'), '--batch-size', '8'];

/** Another student of the same shapes and ids as cls-student.npz (its arrays scaled), written to `file`. */
function otherStudent(file: string): string {
  const c = openCapture(f('cls-student.npz'));
  const keys = c.keys();
  const w = new NpzWriter(file, c.info(keys[0]!).shape[0]!);
  for (const k of keys) {
    const t = c.read(k);
    const floats = t.dtype === 'float32' || t.dtype === 'float64';
    w.append(k, floats ? { ...t, data: (t.data as Float32Array).map((v) => v * 1.5 + 0.1) } : t);
  }
  w.finish();
  return file;
}

describe('krs score --shard + krs merge = krs score', () => {
  it.each([
    ['classification, cka (float32 backend)', cls, 3],
    ['classification, cka on the float64 backend', [...cls, '--backend', 'typescript'], 4],
    ['classification, cka-debiased', [...cls, '--similarity', 'cka-debiased'], 3],
    ['classification, cka-rbf', [...cls, '--similarity', 'cka-rbf'], 3],
    [
      'regression, cka with the minibatch estimator',
      [
        '--task',
        'regression',
        '--teacher',
        f('reg-teacher.npz'),
        '--student',
        f('reg-student.npz'),
        '--similarity',
        'cka',
        '--estimator',
        'minibatch',
        '--batch-size',
        '8',
      ],
      3,
    ],
    [
      'wide layers (n < p): the sample-space route, its Gram pass split by blocks',
      ['--task', 'classification', '--teacher', wide.teacher, '--student', wide.student, '--batch-size', '16', '--gram-block', '8'],
      3,
    ],
    [
      'wide layers, cka-debiased, a baseline',
      [
        '--task',
        'classification',
        '--teacher',
        wide.teacher,
        '--student',
        wide.student,
        '--similarity',
        'cka-debiased',
        '--baseline',
        wide.teacher,
        '--gram-block',
        '5',
        '--batch-size',
        '12',
      ],
      4,
    ],
    ['classification, a baseline and no null level', [...cls, '--baseline', f('cls-teacher.npz'), '--no-null'], 2],
    ['classification, two students', [...cls, '--student', f('cls-teacher.npz')], 3],
    ['nlp, masked mean pooling', ['--task', 'nlp', '--teacher', f('nlp-teacher.npz'), '--student', f('nlp-student.npz'), '--batch-size', '6'], 3],
    [
      'regression, cosine on equal widths',
      ['--task', 'regression', '--teacher', f('reg-teacher.npz'), '--student', f('reg-student.npz'), '--batch-size', '10'],
      4,
    ],
    [
      'detection (COCO results)',
      [
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
        '--batch-size',
        '4',
      ],
      3,
    ],
    [
      'segmentation (PNG label maps)',
      [
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
        '--batch-size',
        '2',
      ],
      2,
    ],
  ] as const)('%s', async (_name, args, n) => {
    await expectShardsEqualWhole('score', [...args], n);
  });

  it('more shards than batches is refused, saying which --batch-size gives every shard a batch; no state file written', async () => {
    const args = ['--task', 'classification', '--teacher', f('cls-teacher.npz'), '--student', f('cls-student.npz'), '--batch-size', '32'];
    const out = tmp('empty.krs');
    const r = await krs('score', ...args, '--shard', '0/3', '--state-out', out);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /shard.* "0\/3": expected at most 2 shards: the run's 64 samples make 2 batches and a shard is whole batches; give --batch-size 21 or less for 3 shards/,
    );
    expect(existsSync(out)).toBe(false);
    await expectShardsEqualWhole('score', [...args.slice(0, -1), '21'], 3);
  });

  it('the table and the report are those of the whole run', async () => {
    const states = [tmp('a.krs'), tmp('b.krs')];
    for (const [i, s] of states.entries()) await ok('score', ...cls, '--shard', `${i}/2`, '--state-out', s);
    const table = await ok('merge', ...states);
    expect(table).toBe(await ok('score', ...cls));
    const report = tmp('merged.html');
    const r = await krs('merge', ...states, '--report', report);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/report: /);
    expect(readFileSync(report, 'utf8')).toMatch(/<html/i);
  });

  it('a state file is safetensors: float64 arrays as F64 tensors, the rest as JSON metadata', async () => {
    const file = tmp('one.krs');
    const out = await ok('score', ...cls, '--shard', '1/2', '--state-out', file);
    expect(out).toMatch(/^shard 1\/2: samples \[32, 64\) of 64 → .*one\.krs \(\d+\.\d KiB\)\n$/);
    const bytes = new Uint8Array(readFileSync(file));
    const header = readSafetensorsHeader(bytesSource(file, bytes));
    expect(header.metadata?.format).toBe('krs-state');
    const doc = JSON.parse(header.metadata!.document!);
    expect(doc.parts[0].range).toEqual([32, 64]);
    expect([...header.tensors.values()].every((t) => t.stored === 'F64')).toBe(true);
    // The arrays are bytes, not JSON numbers: the document is a small part of the file.
    expect(header.metadata!.document!.length).toBeLessThan(bytes.length / 2);
    expect(header.metadata!.document!).not.toMatch(/"f64"/);
  });
});

describe('krs eval --shard + krs merge = krs eval', () => {
  const args = [
    '--teacher',
    M('mlp-teacher.onnx'),
    '--student',
    M('mlp-student.onnx'),
    '--input',
    'mnist',
    '--limit',
    '300',
    '--task',
    'classification',
    '--batch-size',
    '50',
    '--no-progress',
  ];
  it('4 shards, merged in reverse and as a tree: same scores, intervals, accuracies, output kinds', async () => {
    await expectShardsEqualWhole('eval', args, 4);
  });

  it('--shard auto/N reads JOB_COMPLETION_INDEX, or SLURM_ARRAY_TASK_ID minus SLURM_ARRAY_TASK_MIN', async () => {
    const { parseShard } = await import('../../src/cli/shard-options.js');
    expect(parseShard('auto/4', { JOB_COMPLETION_INDEX: '3' })).toEqual({ index: 3, count: 4 });
    expect(parseShard('auto/4', { SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_MIN: '1' })).toEqual({ index: 3, count: 4 });
    expect(parseShard('auto/4', { SLURM_ARRAY_TASK_ID: '2' })).toEqual({ index: 2, count: 4 });
    expect(parseShard(' 2 / 5 ')).toEqual({ index: 2, count: 5 });
  });

  it('more shards than batches is refused (300 samples in batches of 50: at most 6 shards)', async () => {
    const r = await krs('eval', ...args, '--shard', '6/7', '--state-out', tmp('e.krs'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/expected at most 6 shards: the run's 300 samples make 6 batches .*give --batch-size 42 or less for 7 shards/);
  });

  it('refuses what needs every sample at once: --null, --all-pairs', async () => {
    const s = tmp('x.krs');
    const a = await krs('eval', ...args, '--null', '--shard', '0/2', '--state-out', s);
    expect(a.status).toBe(2);
    expect(a.stderr).toMatch(/null level pairs samples across shards/);
    const b = await krs('eval', ...args, '--all-pairs', '--shard', '0/2', '--state-out', s);
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/cross-layer matrix is not sharded/);
  });
});

describe('krs merge: what must agree, and every sample once', () => {
  const shards = async (n: number, ...more: string[]) => {
    const files: string[] = [];
    for (let i = 0; i < n; i++) {
      const file = tmp(`s${i}.krs`);
      await ok('score', ...cls, ...more, '--shard', `${i}/${n}`, '--state-out', file);
      files.push(file);
    }
    return files;
  };
  const oneLine = (r: { status: number | null; stderr: string }, status: number, pattern: RegExp) => {
    expect(r.status).toBe(status);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  };

  it('a missing shard is an error naming the samples; --allow-partial merges with a warning', async () => {
    const [a, , c] = await shards(3);
    oneLine(await krs('merge', a!, c!), 3, /samples \[16, 40\) are in no state file.*--allow-partial/);
    const r = await krs('merge', a!, c!, '--allow-partial', '--json');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).n).toBe(40);
    expect(r.stderr).toMatch(/warning: merged anyway \(--allow-partial\): samples \[16, 40\) are in no state file/);
  });

  it('a shard given twice overlaps: an error naming both files', async () => {
    const [a, b] = await shards(2);
    oneLine(await krs('merge', a!, b!, a!), 3, /samples \[0, 32\) are in both .*s0\.krs and .*s0\.krs/);
    oneLine(await krs('merge', a!, a!, '--state-out', tmp('t.krs')), 3, /are in both/);
  });

  it('shards run with other settings do not merge: the setting and both values named', async () => {
    const [a] = await shards(2);
    const [, b] = await shards(2, '--temperature', '4');
    oneLine(await krs('merge', a!, b!), 3, /settings\.students\[0\]\.metric\.output\.temperature in .* is "4": expected not set, as in/);
    const [, c] = await shards(2, '--alpha', '0.5');
    oneLine(await krs('merge', a!, c!), 3, /metric\.alpha/);
    const [, d] = await shards(2, '--teacher-outputs', 'logits');
    oneLine(await krs('merge', a!, d!), 3, /settings\.students\[0\]\.outputKinds\.teacher in .* is "logits": expected "from the values", as in/);
  });

  it('shards of other input files do not merge, whatever their names: two students called the same, a capture replaced between runs', async () => {
    // Two students in two folders, with the same file name.
    const dirA = mkdtempSync(join(dir, 'a-'));
    const dirB = mkdtempSync(join(dir, 'b-'));
    copyFileSync(f('cls-student.npz'), join(dirA, 'student.npz'));
    const other = otherStudent(join(dirB, 'student.npz'));
    const args = (student: string) => ['score', '--task', 'classification', '--teacher', f('cls-teacher.npz'), '--student', student, '--batch-size', '32'];
    const a0 = tmp('a0.krs');
    const b1 = tmp('b1.krs');
    await ok(...args(join(dirA, 'student.npz')), '--shard', '0/2', '--state-out', a0);
    await ok(...args(join(dirB, 'student.npz')), '--shard', '1/2', '--state-out', b1);
    oneLine(
      await krs('merge', a0, b1),
      3,
      /settings\.students\[0\]\.inputs\.student in .*b1\.krs is "crc32:[0-9a-f]{8}": expected "crc32:[0-9a-f]{8}", as in .*a0\.krs/,
    );
    // The same path, its content replaced between the two shard runs.
    const path = join(dirA, 'student.npz');
    const r1 = tmp('r1.krs');
    copyFileSync(other, path);
    await ok(...args(path), '--shard', '1/2', '--state-out', r1);
    oneLine(await krs('merge', a0, r1), 3, /inputs\.student/);
    // Unchanged inputs still merge.
    copyFileSync(f('cls-student.npz'), path);
    const a1 = tmp('a1.krs');
    await ok(...args(path), '--shard', '1/2', '--state-out', a1);
    expect((await krs('merge', a0, a1)).status).toBe(0);
  });

  it('Gram shares of sample-space pairs: each shard once, none missing, no sample left out', async () => {
    const args = ['--task', 'classification', '--teacher', wide.teacher, '--student', wide.student, '--gram-block', '8', '--batch-size', '16'];
    const files = [tmp('g0.krs'), tmp('g1.krs'), tmp('g2.krs')];
    for (const [i, file] of files.entries()) await ok('score', ...args, '--shard', `${i}/3`, '--state-out', file);
    const [a, b, c] = files as [string, string, string];
    oneLine(await krs('merge', a, c, '--allow-partial'), 3, /Gram shares of the sample-space pairs is "missing 1\/3"/);
    const ab = tmp('ab.krs');
    await ok('merge', a, b, '--state-out', ab);
    oneLine(await krs('merge', ab, b, c, '--allow-partial'), 3, /Gram share 1\/3 is "in both .*ab\.krs and .*g1\.krs"/);
    expect(JSON.parse(await ok('merge', ab, c, '--json')).n).toBe(48);
  });

  it('a state written with valid checksums but contents that do not hold together is refused, naming the field', async () => {
    const [a, b] = await shards(2);
    /** Rewrite a state file's document (checksums recomputed, as another writer would). */
    const forged = (file: string, edit: (doc: any) => void) => {
      const doc = decodeStateFile(new Uint8Array(readFileSync(file)), file) as any;
      edit(doc);
      const out = tmp('forged.krs');
      writeFileSync(out, encodeStateFile(doc));
      return out;
    };
    const swapped = [forged(a!, (d) => (d.parts[0].range = [32, 64])), forged(b!, (d) => (d.parts[0].range = [0, 32]))] as const;
    oneLine(await krs('merge', ...swapped), 3, /metrics\.student0 starts at sample 0, not at its range's start 32/);
    oneLine(
      await krs(
        'merge',
        a!,
        forged(b!, (d) => (d.parts[0].metrics.student0.version = 3)),
      ),
      3,
      /metrics\.student0\.version must be 4, got 3/,
    );
    const recount = forged(b!, (d) => (d.parts[0].metrics.student0.state.seen.outputs = 33));
    oneLine(await krs('merge', a!, recount), 3, /has seen 33 samples' outputs, more than the 32 of its range \[32, 64\)/);
    const regroup = forged(b!, (d) => (d.parts[0].metrics.student0.state.rows.outputs[19] += 5));
    oneLine(await krs('merge', a!, regroup), 3, /state\.seen\.outputs is 32 but its groups hold 37 samples/);
    const infinite = forged(b!, (d) => {
      const slot = d.parts[0].metrics.student0.state.pairs[0].slots.find((x: unknown) => x !== null);
      const xx = decodeFloat64(slot.state.stats.xx);
      xx[0] = Number.POSITIVE_INFINITY;
      slot.state.stats.xx = encodeFloat64(xx);
    });
    oneLine(
      await krs('merge', a!, infinite),
      3,
      /metric .student0. of .*forged\.krs: serialised CKA state field xx \[0\] is "Infinity": expected a finite number/,
    );
  });

  it('text of a state file reaches the terminal escaped: no escape sequence, bidi override or option marker passes; --json stays valid', async () => {
    const [a, b] = await shards(2);
    const doc = decodeStateFile(new Uint8Array(readFileSync(a!)), a!) as any;
    doc.context.students[0].warnings.push('\u001b]0;pwned\u0007\u001b[2J\u202eevil\r\u009b31m over \u{E000}batchSize\u{E001}');
    const evil = tmp('evil.krs');
    writeFileSync(evil, encodeStateFile(doc));
    const r = await krs('merge', evil, b!);
    expect(r.status).toBe(0);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the test looks for control characters
    expect(r.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u{E000}\u{E001}]/u);
    expect(r.stderr).toContain('\\u001b]0;pwned\\u0007\\u001b[2J\\u202eevil\\u000d\\u009b31m over --batch-size');
    const j = await krs('merge', evil, b!, '--json');
    expect(j.stdout).not.toMatch(/[\u007f-\u009f\u202a-\u202e\u{E000}\u{E001}]/u);
    expect(JSON.parse(j.stdout).warnings.join('\n')).toContain('\u001b]0;pwned\u0007\u001b[2J\u202eevil\r\u009b31m over --batch-size');
  });

  it('a device or a pipe is not a state file: refused at once, never read without end', async () => {
    oneLine(await krs('merge', '/dev/zero'), 3, /\/dev\/zero.*is not a regular file/);
    oneLine(await krs('merge', '/dev/null'), 3, /\/dev\/null.*is not a regular file/);
    const fifo = tmp('state.fifo');
    execFileSync('mkfifo', [fifo]);
    oneLine(await krs('merge', fifo), 3, /state\.fifo.*is not a regular file/);
  });

  it('bad files and flags: one line each, no stack', async () => {
    oneLine(await krs('merge', f('cls-teacher.npz')), 3, /cls-teacher\.npz/);
    const notKrs = tmp('plain.safetensors');
    const header = new TextEncoder().encode(JSON.stringify({ x: { dtype: 'F64', shape: [1], data_offsets: [0, 8] } }));
    const bytes = new Uint8Array(8 + header.length + 8);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
    bytes.set(header, 8);
    writeFileSync(notKrs, bytes);
    oneLine(await krs('merge', notKrs), 3, /a krs state file/);
    const [a] = await shards(2);
    const cut = tmp('cut.krs');
    writeFileSync(cut, readFileSync(a!).subarray(0, 200));
    oneLine(await krs('merge', cut), 3, /cut\.krs/);
    oneLine(await krs('merge', tmp('missing.krs')), 3, /missing\.krs/);
    oneLine(await krs('score', ...cls, '--shard', '1/2'), 2, /--state-out/);
    oneLine(await krs('score', ...cls, '--shard', '2/2', '--state-out', tmp('x.krs')), 2, /--shard.*from 0 to 1/);
    oneLine(await krs('score', ...cls, '--shard', 'auto/2', '--state-out', tmp('x.krs')), 2, /JOB_COMPLETION_INDEX/);
    oneLine(await krs('score', ...cls, '--shard', '0/2', '--state-out', tmp('x.krs'), '--report', tmp('r.html')), 2, /krs merge --report/);
  });
});
