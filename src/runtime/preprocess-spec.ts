/**
 * Preprocessing specs: the named presets, parsing `--preprocess` values and describing a
 * spec for messages. Pure and dependency-light (only the error constructors), so option
 * declarations can use it without loading the ONNX model code; applying a spec is in
 * `preprocess.ts`, which re-exports this file.
 *
 * Browser-safe.
 */
import { errors } from '../core/errors.js';

/** x' = (x · scale − mean[c]) / std[c], c the channel of the value. */
export interface Preprocess {
  readonly scale: number;
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

export const IDENTITY: Preprocess = { scale: 1, mean: [0], std: [1] };

/** Named preprocessings, for values in [0, 1] (what the image and mnist readers give). */
export const PREPROCESS_PRESETS: Readonly<Record<string, Preprocess>> = {
  /** Values as they are. */
  none: IDENTITY,
  /** [0, 1] → [−1, 1]: mean 0.5, std 0.5 (torchvision `Normalize((0.5,), (0.5,))`). */
  symmetric: { scale: 1, mean: [0.5], std: [0.5] },
  /** MNIST's own mean and std (0.1307, 0.3081). */
  mnist: { scale: 1, mean: [0.1307], std: [0.3081] },
  /** ImageNet channel means and stds (RGB). */
  imagenet: { scale: 1, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  /** [0, 1] → [0, 255]. */
  bytes: { scale: 255, mean: [0], std: [1] },
};

/**
 * Parse a preprocessing spec: a preset name (`none`, `symmetric`, `mnist`, `imagenet`,
 * `bytes`) or comma-separated `key=value` items with keys `scale`, `mean`, `std`, where a
 * value is a number or a fraction (`1/255`) and per-channel lists are separated by `:`
 * (`mean=0.485:0.456:0.406`). Unset keys keep the identity (scale 1, mean 0, std 1).
 * @throws KrsError BAD_OPTION naming the option and the bad item.
 * @example parsePreprocess('scale=1/255,mean=0.5,std=0.5', '--teacher-preprocess')
 */
export function parsePreprocess(spec: string, option: string): Preprocess {
  const preset = PREPROCESS_PRESETS[spec.trim()];
  if (preset) return preset;
  let scale = 1;
  let mean: number[] = [0];
  let std: number[] = [1];
  const expected = `a preset (${Object.keys(PREPROCESS_PRESETS).join(', ')}) or items like scale=1/255,mean=0.5,std=0.5 (per-channel lists with ':')`;
  for (const item of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^(scale|mean|std)\s*=\s*(.+)$/.exec(item);
    if (!m) throw errors.badOption(option, spec, expected);
    const values = m[2]!.split(':').map((v) => parseFraction(v));
    if (values.some((v) => v === null)) throw errors.badOption(option, spec, expected);
    const vs = values as number[];
    if (m[1] === 'scale') {
      if (vs.length !== 1) throw errors.badOption(option, spec, 'a single scale');
      scale = vs[0]!;
    } else if (m[1] === 'mean') mean = vs;
    else {
      if (vs.some((v) => v === 0)) throw errors.badOption(option, spec, 'std values other than 0');
      std = vs;
    }
  }
  return { scale, mean, std };
}

function parseFraction(s: string): number | null {
  const parts = s.trim().split('/');
  if (parts.length > 2 || parts.some((p) => p.trim() === '')) return null;
  const v = parts.length === 2 ? Number(parts[0]) / Number(parts[1]) : Number(parts[0]);
  return Number.isFinite(v) ? v : null;
}

/** A spec string for messages and JSON. */
export function describePreprocess(p: Preprocess): string {
  const list = (v: readonly number[]) => v.map((x) => +x.toPrecision(6)).join(':');
  for (const [name, q] of Object.entries(PREPROCESS_PRESETS)) {
    if (q.scale === p.scale && list(q.mean) === list(p.mean) && list(q.std) === list(p.std)) return name;
  }
  return `scale=${+p.scale.toPrecision(6)},mean=${list(p.mean)},std=${list(p.std)}`;
}
