/**
 * Pooling tapped layers at capture time (`krs capture --pool`), so that a capture of every
 * conv map holds (N, C) per layer instead of (N, C, H, W).
 *
 * The pooling is {@link featureMatrix}'s, the one `krs score --pool` applies, so a capture
 * pooled here scores exactly like the flat capture pooled at score time (up to the float32
 * rounding of the stored means):
 * - `gap`: global average over the spatial axes, (N, C, …spatial) → (N, C), or
 *   (N, …spatial, C) → (N, C) with `channelsLast`; for taps of rank ≥ 3.
 * - `mean`: mean over the tokens of a sequence (N, T, D) → (N, D), every token counted
 *   (no attention mask at capture time: pool masked sequences at score time instead).
 * - `flatten`: stored as the model gives it.
 *
 * A default pooling applies to the taps it fits and leaves rank-1 and rank-2 taps as they are
 * (there is nothing to pool; score-time pooling does the same); a pooling named for one tap
 * must fit it. Runs in the model worker, before the arrays cross to the main thread.
 */
import { errors, fmtShape } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { featureMatrix } from '../similarity/features.js';

export type CapturePool = 'flatten' | 'gap' | 'mean';
export const CAPTURE_POOLS: readonly CapturePool[] = ['flatten', 'gap', 'mean'];

/** How to pool the taps of a capture. */
export interface CapturePooling {
  /** For every tap without its own entry (default flatten). */
  default?: CapturePool;
  /** Per tap (resolved tensor name), overriding the default. */
  layers?: Readonly<Record<string, CapturePool>>;
  /** Spatial maps are (N, …spatial, C), not (N, C, …spatial). */
  channelsLast?: boolean;
}

/** The pooling a tap got, as recorded in the capture's `krs.json`. */
export interface TapPooling {
  pool: 'gap' | 'mean';
  channelsLast: boolean;
  /** The tap's per-sample shape before pooling. */
  shape: number[];
}

/** The option text that asked for a tap's pooling, for messages. */
function asked(name: string, pool: CapturePool, explicit: boolean): string {
  return explicit ? `${name}=${pool}` : pool;
}

/**
 * Pool the taps `names` of one batch's outputs as `pooling` says; other tensors are returned
 * as they are. `file` names the model in messages.
 * @returns the outputs with pooled taps replaced by (N, C) tensors (float32 for float32 taps,
 *   float64 otherwise), and what each pooled tap got.
 * @throws KrsError BAD_OPTION when a pooling cannot apply to a tap's shape (gap named for a
 *   rank-2 tap, mean for a tap that is not (N, T, D)), naming the tap and its shape.
 */
export function poolTaps(
  outputs: Readonly<Record<string, Tensor>>,
  names: readonly string[],
  pooling: CapturePooling,
  file: string,
): { outputs: Record<string, Tensor>; pooled: Record<string, TapPooling> } {
  const out: Record<string, Tensor> = { ...outputs };
  const pooled: Record<string, TapPooling> = {};
  const channelsLast = pooling.channelsLast ?? false;
  for (const name of names) {
    const t = outputs[name];
    if (!t) continue;
    const explicit = pooling.layers?.[name] !== undefined;
    const pool = pooling.layers?.[name] ?? pooling.default ?? 'flatten';
    if (pool === 'flatten') continue;
    const rank = t.shape.length;
    const sample = t.shape.slice(1);
    if (pool === 'gap' && rank < 3) {
      if (!explicit) continue;
      throw errors.badOption(
        '--pool',
        asked(name, pool, explicit),
        `a pooling that fits tap '${name}' of ${file}: gap needs a map (N, C, …spatial), the tap has per-sample shape ${fmtShape(sample)}`,
      );
    }
    if (pool === 'mean' && rank !== 3) {
      if (!explicit && rank < 3) continue;
      throw errors.badOption(
        '--pool',
        asked(name, pool, explicit),
        `a pooling that fits tap '${name}' of ${file}: mean needs a sequence (N, tokens, width), the tap has per-sample shape ${fmtShape(sample)}`,
      );
    }
    const m = featureMatrix(t, `tap '${name}' of ${file}`, { pool, channelsLast, checkFinite: false });
    const data = t.data instanceof Float32Array ? Float32Array.from(m.data) : Float64Array.from(m.data);
    out[name] = { dtype: data instanceof Float32Array ? 'float32' : 'float64', shape: [m.rows, m.cols], data };
    pooled[name] = { pool, channelsLast, shape: sample };
  }
  return { outputs: out, pooled };
}

/**
 * Check a pooling against the taps before any model runs: every per-tap name must be a tap
 * and not the model output (written unpooled as logits). The output tensor is never pooled
 * by the default either.
 * @throws KrsError BAD_OPTION naming the value and listing the taps.
 */
export function checkPooling(pooling: CapturePooling, taps: readonly string[], outputTensor: string): void {
  for (const [name, pool] of Object.entries(pooling.layers ?? {})) {
    if (name === outputTensor) {
      throw errors.badOption('--pool', `${name}=${pool}`, `a tapped layer; '${name}' is the model output, written unpooled as the capture's logits`);
    }
    if (!taps.includes(name)) {
      const list = taps.length ? taps.slice(0, 20).join(', ') + (taps.length > 20 ? ', …' : '') : '(none: add --layers)';
      throw errors.badOption('--pool', `${name}=${pool}`, `a tapped layer (--layers); tapped: ${list}`);
    }
  }
}

/**
 * Parse one `--pool` value: `gap` (every tap) or `NAME=gap` (one tap; the last `=` splits,
 * so tensor names with `:` or `=` work), merged into `previous`.
 * @throws KrsError BAD_OPTION for an unknown pooling, an empty name, or a tap (or the
 *   default) given two different poolings.
 */
export function parsePoolOption(value: string, previous: CapturePooling = {}): CapturePooling {
  const i = value.lastIndexOf('=');
  const name = i < 0 ? null : value.slice(0, i).trim();
  const pool = (i < 0 ? value : value.slice(i + 1)).trim();
  if (!(CAPTURE_POOLS as readonly string[]).includes(pool)) {
    throw errors.badOption('--pool', value, `${CAPTURE_POOLS.join(', ')} for every tap, or TAP=${CAPTURE_POOLS.join('|')} for one`);
  }
  if (name === '') throw errors.badOption('--pool', value, `TAP=${pool} with a tap name before '='`);
  const p = pool as CapturePool;
  if (name === null) {
    if (previous.default !== undefined && previous.default !== p) throw errors.badOption('--pool', value, `one default pooling (already ${previous.default})`);
    return { ...previous, default: p };
  }
  const had = previous.layers?.[name];
  if (had !== undefined && had !== p) throw errors.badOption('--pool', value, `one pooling per tap ('${name}' already has ${had})`);
  return { ...previous, layers: { ...previous.layers, [name]: p } };
}
