/**
 * A short teacher training on the SpamAssassin split, for docs/studies.md: validation
 * accuracy after each epoch, wall and CPU seconds (CPU time ≈ the wall time of an idle core;
 * the wasm backend is single-threaded).
 *
 *     npx tsx bench/nlp/teacher.ts [tokens=128] [epochs=2] [width=64] [layers=4]
 */
import { createRng } from '../../src/core/rng.js';
import { loadSpamSplit } from '../../src/train/nlp/corpus.js';
import { Encoder } from '../../src/train/nlp/encoder.js';
import { buildTokenizer } from '../../src/train/nlp/tokenizer.js';
import { accuracyOf, type LabelledSet, predictLogits, trainEncoder } from '../../src/train/nlp/train.js';
import { initTf } from '../../src/train/tf.js';

const [tokens = 128, epochs = 2, width = 64, layers = 4] = process.argv.slice(2).map(Number);
await initTf();
const split = loadSpamSplit({ seed: 1 });
const tok = buildTokenizer(split.train, { maxVocab: 8000, maxLength: tokens });
const set = (e: typeof split.train): LabelledSet => ({ ...tok.encode(e), labels: Int32Array.from(e, (x) => x.label) });
const train = set(split.train);
const val = set(split.validation);
const enc = Encoder.create({ name: 'teacher', layers, heads: 4, width, vocabSize: tok.vocab.length, maxLength: tokens }, 1);
const c0 = process.cpuUsage();
const t0 = performance.now();
const seconds = () => {
  const u = process.cpuUsage(c0);
  return `${((performance.now() - t0) / 1000).toFixed(0)} s wall, ${((u.user + u.system) / 1e6).toFixed(0)} s cpu`;
};
console.log(`teacher L${layers} w${width} t=${tokens}: ${enc.params} weights, train ${train.n}, validation ${val.n}, vocab ${tok.vocab.length}`);
await trainEncoder({
  encoder: enc,
  data: train,
  epochs,
  batchSize: 32,
  learningRate: 1e-3,
  order: createRng(1, 'nlp-order:teacher'),
  onBatch: (p) => {
    if (p.batch % 20 === 0) console.log(`  epoch ${p.epoch} batch ${p.batch}/${p.batches} loss ${p.loss.toFixed(4)} (${seconds()})`);
  },
  onEpoch: (epoch, loss) => {
    const u = process.cpuUsage(c0);
    const cpu = (u.user + u.system) / 1e6;
    const acc = accuracyOf(predictLogits(enc, val), val.labels);
    console.log(
      `epoch ${epoch}: loss ${loss.toFixed(4)}, validation accuracy ${(100 * acc).toFixed(2)} % (${seconds()}; training ${((epoch * train.n) / cpu).toFixed(1)} seq/s cpu incl. validation)`,
    );
  },
});
