/**
 * Training speed of the NLP encoders on the wasm backend, for docs/studies.md: sequences per
 * second of a training step (labels only) and of a forward pass, for batches of 32 sequences
 * of `tokens` tokens (85 % real, vocabulary 8 000), and of a distillation step (the teacher's
 * forward pass + the student's step under each loss). Measured in CPU time (process.cpuUsage)
 * as well as wall time: the backend is single-threaded, so CPU time is what an idle core takes,
 * whatever else the machine runs.
 *
 *     npx tsx bench/nlp/speed.ts [tokens=128]
 */
import { Encoder, type EncoderConfig } from '../../src/train/nlp/encoder.js';
import { createProjection, distilBertLoss, patientKdLoss, tinyBertLoss } from '../../src/train/nlp/losses.js';
import { crossEntropy } from '../../src/train/nlp/train.js';
import { initTf, tf } from '../../src/train/tf.js';

const T = Number(process.argv[2] ?? 128);
const V = 8000;
const B = 32;
await initTf();
const ids = tf.tensor2d(
  Int32Array.from({ length: B * T }, (_, i) => (i * 7919) % V),
  [B, T],
  'int32',
);
const mask = tf.tensor2d(
  Int32Array.from({ length: B * T }, (_, i) => (i % T < 0.85 * T ? 1 : 0)),
  [B, T],
  'int32',
);
const oneHot = tf.oneHot(
  tf.tensor1d(
    Int32Array.from({ length: B }, (_, i) => i % 2),
    'int32',
  ),
  2,
) as tf.Tensor2D;

function measure(f: () => void, n = 2): { cpu: number; wall: number } {
  f();
  const c = process.cpuUsage();
  const t = performance.now();
  for (let i = 0; i < n; i++) f();
  const u = process.cpuUsage(c);
  return { cpu: (B * n) / ((u.user + u.system) / 1e6), wall: (B * n) / ((performance.now() - t) / 1000) };
}
const fmt = (r: { cpu: number; wall: number }) => `${r.cpu.toFixed(1)} seq/s cpu (${r.wall.toFixed(1)} wall)`;
const config = (name: string, layers: number, width: number): EncoderConfig => ({ name, layers, heads: 4, width, vocabSize: V, maxLength: T });

const sizes = [
  config('L4-w128', 4, 128),
  config('L4-w64', 4, 64),
  config('L2-w128', 2, 128),
  config('L2-w64', 2, 64),
  config('L1-w64', 1, 64),
  config('L2-w32', 2, 32),
  config('L4-w32', 4, 32),
];
for (const c of sizes) {
  const enc = Encoder.create(c, 1);
  const opt = tf.train.adam(1e-3);
  const train = measure(() => tf.dispose(opt.minimize(() => crossEntropy(enc.forward(ids, mask).logits, oneHot), true, enc.variables())!));
  const fwd = measure(() => tf.tidy(() => void enc.forward(ids, mask).logits.dataSync()));
  console.log(`${c.name} t=${T} (${enc.params} weights): train ${fmt(train)}; forward ${fmt(fwd)}`);
  enc.dispose();
  opt.dispose();
}

const teacher = Encoder.create(config('teacher', 4, 64), 1);
for (const s of [config('L2-w64', 2, 64), config('L2-w32', 2, 32)]) {
  const student = Encoder.create(s, 2);
  const projection = s.width === 64 ? undefined : createProjection(s.width, 64, 1, s.name);
  const vars = [...student.variables(), ...(projection ? [projection.kernel, projection.bias] : [])];
  const methods = {
    distilbert: (so: ReturnType<Encoder['forward']>, to: ReturnType<Encoder['forward']>) => distilBertLoss(so, to, oneHot, mask, { projection }).total,
    pkd: (so: ReturnType<Encoder['forward']>, to: ReturnType<Encoder['forward']>) => patientKdLoss(so, to, oneHot, { projection }).total,
    tinybert: (so: ReturnType<Encoder['forward']>, to: ReturnType<Encoder['forward']>) => tinyBertLoss(so, to, mask, { projection }).total,
  };
  for (const [name, loss] of Object.entries(methods)) {
    const opt = tf.train.adam(1e-3);
    const r = measure(() =>
      tf.tidy(() => {
        const to = teacher.forward(ids, mask);
        tf.dispose(opt.minimize(() => loss(student.forward(ids, mask), to), true, vars)!);
      }),
    );
    console.log(`${name} step, teacher L4-w64 → ${s.name} t=${T}: ${fmt(r)}`);
    opt.dispose();
  }
  student.dispose();
}
