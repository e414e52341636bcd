/**
 * The request bodies of bench/serve, made once (seeded) before any timing:
 *
 *   small   an output-only classification state (`{version: 1, kind: 'outputs', …}`, 32
 *           samples × 10 classes; ≈ 0.4 kB of JSON with its step) for a run with `pairs: []`;
 *   s78k    a KrsMetric state, one layer pair 32 → 16 (teacher → student widths), 5 groups,
 *           256 samples, 10 classes: ≈ 78 kB as JSON `{step, state}`, ≈ 63 kB as a state file;
 *   s1m     the same with widths 132 → 66: ≈ 1.1 MB as JSON, ≈ 0.83 MB as a state file;
 *   batch   an .npz with `teacher_output` and `student_output`, 256 × 1000 float32 each (2 MB).
 *
 * A JSON state body is `{"step":<i>,"state":…}`: the step prefix is sent as its own chunk
 * before the pre-encoded rest, so every post has its own step at no copying cost. Binary
 * state files (`encodeStateFile(metric.toJSON())`) and batches carry the step in the query.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { root } from '../score/common.mjs';

const dist = (p) => import(join(root, 'dist', p));

export async function makeBodies(tmp) {
  const { KrsMetric } = await dist('krs/metric.js');
  const { encodeStateFile } = await dist('io/state-file.js');
  const { NpzWriter } = await dist('io/node-npz-writer.js');
  const { taskSpec } = await dist('tasks/registry.js');

  let seed = 1;
  const rand = () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 2 ** 32 - 0.5;
  };
  const f32 = (n, p) => ({ dtype: 'float32', shape: [n, p], data: Float32Array.from({ length: n * p }, rand) });
  const near = (t) => ({ ...t, data: t.data.map((x) => 1.5 * x + 0.2 * rand()) });

  /** JSON `{step, state}` body: the step chunk, then the encoded rest. */
  const jsonState = (state) => {
    const rest = Buffer.from(`"state":${JSON.stringify(state)}}`);
    return { rest, parts: (step) => [`{"step":${step},`, rest] };
  };

  // Output-only: the task's agreement measure's own state, as src/serve/metric.ts stores it.
  const measure = taskSpec('classification').agreement.measure({});
  const st = measure.init();
  const to = f32(32, 10);
  await measure.update(st, { teacherOutput: to, studentOutput: near(to) });
  const small = {
    ...jsonState({ version: 1, kind: 'outputs', options: { task: 'classification', output: {} }, state: measure.toJSON(st) }),
    settings: { pairs: [] },
    samples: 32,
  };

  const krsState = async (p, q) => {
    const settings = { pairs: ['h:h'], intervals: { groups: 5 } };
    const m = new KrsMetric({ task: 'classification', pairs: [{ teacher: 'h', student: 'h' }], intervals: { groups: 5 } });
    const t = f32(256, 10);
    await m.update({ teacher: { h: f32(256, p) }, student: { h: f32(256, q) }, teacherOutput: t, studentOutput: near(t) });
    const state = m.toJSON();
    return { ...jsonState(state), binary: Buffer.from(encodeStateFile(state)), settings, samples: 256, widths: `${p} → ${q}`, groups: 5 };
  };
  const s78k = await krsState(32, 16);
  const s1m = await krsState(132, 66);

  const N = 256;
  const C = 1000;
  const file = join(tmp, 'batch.npz');
  const w = new NpzWriter(file, N);
  const tOut = f32(N, C);
  w.append('teacher_output', tOut);
  w.append('student_output', near(tOut));
  w.finish();
  const batch = { body: readFileSync(file), settings: { pairs: [] }, samples: N, shape: `${N} × ${C}` };
  rmSync(file);

  for (const b of [small, s78k, s1m]) b.bytes = b.parts(0).reduce((a, x) => a + Buffer.byteLength(x), 0);
  return { small, s78k, s1m, batch };
}

/** Bytes, short: 384 B, 77.8 kB, 1.10 MB. */
export function size(bytes) {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${(bytes / 1e6).toFixed(2)} MB`;
}
