/**
 * The cross-layer CKA matrix of two captures (what `krs heatmap` and `krs score --report`
 * draw): every teacher layer against every student layer, streamed batch by batch through
 * {@link CrossLayerCka}, with the student's samples aligned to the teacher's by id when both
 * captures hold ids. Works on the {@link Capture} abstraction (Node files or browser bytes).
 *
 * Layers default to every array of a capture that is not an output, id or mask
 * (`RESERVED_KEYS`) and has the capture's sample count, in the capture's order (the order
 * the file stores them: network order when they were saved in forward order). With `pool`
 * `mean`, a capture's `attention_mask` (N, T) decides which tokens each sequence's mean counts
 * (padded tokens do not), as `krs score --task nlp` pools them.
 *
 * @throws UNKNOWN_KEY for a named layer or id key that is absent; BAD_OPTION when a capture has
 *   no layer; SHAPE_MISMATCH / ID_MISMATCH for differing sample counts or ids; and whatever
 *   {@link CrossLayerCka} throws.
 * @example
 *   const m = await crossLayerOfCaptures({ teacher: openCapture('t.npz'), student: openCapture('s.npz') });
 *   m.cka[0][0] // CKA of the first teacher layer and the first student layer
 */
import { errors } from '../core/errors.js';
import { gatherRows, type Tensor } from '../core/tensor.js';
import type { Capture } from '../io/capture.js';
import { alignIds } from '../krs/align.js';
import { batchBounds, DEFAULT_ID_KEYS, RESERVED_KEYS } from '../krs/score-captures.js';
import type { MatrixBackend } from '../linalg/backend.js';
import { CrossLayerCka, type CrossLayerOptions, type CrossLayerResult } from '../similarity/cross-layer.js';
import type { Pooling } from '../similarity/features.js';

/** The token mask `mean` pooling honours when a capture holds it (a transformer's, as `--task nlp` reads it). */
const MASK_KEY = 'attention_mask';

export interface CaptureCrossLayerOptions {
  teacher: Capture;
  student: Capture;
  /** Layers, in the order to draw them; default: every feature array (see the module comment). */
  teacherLayers?: readonly string[];
  studentLayers?: readonly string[];
  /** Id array in both captures; default `ids` or `sample_ids` when both have it. */
  ids?: string;
  pool?: Pooling;
  channelsLast?: boolean;
  backend?: MatrixBackend;
  estimator?: CrossLayerOptions['estimator'];
  /** Bytes the exact statistics or stored rows may take. */
  memoryBudget?: number;
  /** Rows per batch (default 256; also the minibatch size of the minibatch estimator). */
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface CaptureCrossLayerResult extends CrossLayerResult {
  teacherFile: string;
  studentFile: string;
  /** The id key samples were aligned by, if any. */
  idKey: string | null;
}

/** Feature arrays of a capture: not reserved, at least 2-D, with `n` rows (n from the first such array when unknown). */
export function featureLayers(c: Capture, exclude: readonly string[] = []): string[] {
  const reserved = new Set([...RESERVED_KEYS, ...exclude]);
  let n: number | undefined;
  const out: string[] = [];
  for (const k of c.keys()) {
    if (reserved.has(k)) continue;
    const shape = c.info(k).shape;
    if (shape.length < 2) continue;
    if (n === undefined) n = shape[0];
    if (shape[0] === n) out.push(k);
  }
  return out;
}

/** Compute the matrix. See the module comment. */
export async function crossLayerOfCaptures(o: CaptureCrossLayerOptions): Promise<CaptureCrossLayerResult> {
  const { teacher, student } = o;
  const pick = (c: Capture, side: string, names: readonly string[] | undefined): string[] => {
    if (names?.length) {
      for (const k of names) if (!c.keys().includes(k)) throw errors.unknownKey(`${side} layer`, k, c.source, c.keys());
      return [...names];
    }
    const found = featureLayers(c, o.ids ? [o.ids] : []);
    if (!found.length)
      throw errors.badOption(`--${side}-layers`, null, `layers to compare (${c.source} has no feature arrays: ${c.keys().join(', ') || 'none'})`);
    return found;
  };
  const tl = pick(teacher, 'teacher', o.teacherLayers);
  const sl = pick(student, 'student', o.studentLayers);
  const count = (c: Capture, names: string[]): number => {
    const n = c.info(names[0]!).shape[0] ?? 0;
    for (const k of names) {
      const m = c.info(k).shape[0];
      if (m !== n) throw errors.shapeMismatch(`sample counts in ${c.source}`, `${n} samples (as '${names[0]}')`, `${m} in '${k}'`);
    }
    return n;
  };
  const n = count(teacher, tl);
  const ns = count(student, sl);
  if (n !== ns) throw errors.sampleCountMismatch(`${teacher.source} vs ${student.source}`, n, ns);

  let idKey: string | null = null;
  if (o.ids) {
    for (const c of [teacher, student]) if (!c.keys().includes(o.ids)) throw errors.unknownKey('id array', o.ids, c.source, c.keys());
    idKey = o.ids;
  } else {
    idKey = DEFAULT_ID_KEYS.find((k) => teacher.keys().includes(k) && student.keys().includes(k)) ?? null;
  }
  let rowOf: Int32Array | null = null;
  if (idKey) rowOf = alignIds(teacher.readIds(idKey), student.readIds(idKey), teacher.source, student.source).studentRowOf;

  const matrix = new CrossLayerCka(tl, sl, {
    pool: o.pool,
    channelsLast: o.channelsLast,
    backend: o.backend,
    estimator: o.estimator,
    memoryBudget: o.memoryBudget,
    samples: n,
  });
  const whole = new Map<string, Tensor>();
  const studentRows = (k: string, start: number, end: number): Tensor => {
    if (!rowOf) return student.readRows(k, start, end);
    let t = whole.get(k);
    if (!t) whole.set(k, (t = student.read(k)));
    return gatherRows(t, rowOf, start, end);
  };
  const batch = o.batchSize ?? 256;
  if (!Number.isInteger(batch) || batch < 1) throw errors.badOption('batchSize', batch, 'a positive integer');
  const masked = (c: Capture) => o.pool === 'mean' && c.keys().includes(MASK_KEY);
  for (const [start, end] of batchBounds(n, batch)) {
    const t: Record<string, Tensor> = {};
    const s: Record<string, Tensor> = {};
    for (const k of tl) t[k] = teacher.readRows(k, start, end);
    for (const k of sl) s[k] = studentRows(k, start, end);
    // Handed over: the rows are read afresh for this batch and nothing else holds or writes them.
    await matrix.update(
      t,
      s,
      {
        ...(masked(teacher) ? { teacher: teacher.readRows(MASK_KEY, start, end) } : {}),
        ...(masked(student) ? { student: studentRows(MASK_KEY, start, end) } : {}),
      },
      { handOver: true },
    );
    o.onProgress?.(end, n);
  }
  const r = await matrix.compute();
  const warnings = [...r.warnings];
  if (rowOf) warnings.unshift(`student samples were reordered by '${idKey}' to match the teacher's order`);
  return { ...r, warnings, teacherFile: teacher.source, studentFile: student.source, idKey };
}
