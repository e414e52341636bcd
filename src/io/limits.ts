/**
 * Resource limits: the largest size a file may declare before krs commits memory or time to
 * it (docs/conventions.md §"Resource limits"). Every reader checks the sizes a file declares
 * — an array's shape × item size, a PNG's width × height, a header's length, a text file's
 * length — against these before allocating, and `krs analyze` checks the α grid.
 *
 * | limit            | environment variable   | default        | checked against                                               |
 * |------------------|------------------------|----------------|---------------------------------------------------------------|
 * | `maxArrayBytes`  | `KRS_MAX_ARRAY_BYTES`  | 4 GiB          | bytes of one array or row range decoded from npy/npz/safetensors; a PNG file's size |
 * | `maxHeaderBytes` | `KRS_MAX_HEADER_BYTES` | 100 000 000    | a .npy header's or safetensors header's declared length        |
 * | `maxImagePixels` | `KRS_MAX_IMAGE_PIXELS` | 89 478 485     | width × height of a PNG label map, read from IHDR before inflating (Pillow's default) |
 * | `maxTextBytes`   | `KRS_MAX_TEXT_BYTES`   | 256 MiB        | size of a COCO-results JSON or experiments table file          |
 * | `maxAlphaPoints` | `KRS_MAX_ALPHA_POINTS` | 10 001         | points of an α-sensitivity grid (1/step + 1)                   |
 * | `maxCsvRows`     | `KRS_MAX_CSV_ROWS`     | 10 000 000     | rows of a CSV time series once time gaps are filled with rows  |
 *
 * These bound one array, header or file at a time. What a scoring run holds in total (every
 * array read whole, every layer pair's statistics or rows) is bounded by the memory budget,
 * priced before anything is read (src/krs/run-memory.ts).
 *
 * Precedence: an explicit library option (`limits: { maxArrayBytes: … }`) over the
 * environment variable over the default. The environment is read here only, and only where
 * a `process` global exists (Node), so the module stays browser-safe. A variable that is set
 * but not a positive integer is a BAD_OPTION naming it.
 */
import { errors } from '../core/errors.js';

/** The resource limits; see the module comment. */
export interface Limits {
  /** Bytes of one array (or row range) decoded into memory; also the largest PNG file read. */
  readonly maxArrayBytes: number;
  /** Declared length of a .npy or safetensors header. */
  readonly maxHeaderBytes: number;
  /** Width × height of a PNG image. */
  readonly maxImagePixels: number;
  /** Size of a JSON or CSV text file (COCO results, experiments tables). */
  readonly maxTextBytes: number;
  /** Points of an α-sensitivity grid. */
  readonly maxAlphaPoints: number;
  /** Rows of a CSV time series, the rows inserted for gaps in time included. */
  readonly maxCsvRows: number;
}

/** The defaults, used when neither an option nor an environment variable sets a limit. */
export const DEFAULT_LIMITS: Limits = Object.freeze({
  maxArrayBytes: 2 ** 32,
  maxHeaderBytes: 100_000_000,
  maxImagePixels: 89_478_485,
  maxTextBytes: 2 ** 28,
  maxAlphaPoints: 10_001,
  maxCsvRows: 10_000_000,
});

/** The environment variable of each limit. */
export const LIMIT_VARIABLES: Readonly<Record<keyof Limits, string>> = Object.freeze({
  maxArrayBytes: 'KRS_MAX_ARRAY_BYTES',
  maxHeaderBytes: 'KRS_MAX_HEADER_BYTES',
  maxImagePixels: 'KRS_MAX_IMAGE_PIXELS',
  maxTextBytes: 'KRS_MAX_TEXT_BYTES',
  maxAlphaPoints: 'KRS_MAX_ALPHA_POINTS',
  maxCsvRows: 'KRS_MAX_CSV_ROWS',
});

/** Limits a caller may set, each optional. */
export type LimitOptions = Partial<Limits>;

/**
 * The limits in force: each from `options` if given there, else its environment variable,
 * else {@link DEFAULT_LIMITS}. Read at each call, so a changed environment takes effect.
 * @throws KrsError BAD_OPTION for an option or variable that is not a positive integer.
 * @example resolveLimits({ maxImagePixels: 1e6 }).maxImagePixels // 1000000
 */
export function resolveLimits(options: LimitOptions = {}): Limits {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
  const out: Record<string, number> = {};
  for (const key of Object.keys(DEFAULT_LIMITS) as (keyof Limits)[]) {
    const given = options[key];
    if (given !== undefined) {
      if (!(Number.isSafeInteger(given) && given > 0)) throw errors.badOption(key, given, 'a positive integer');
      out[key] = given;
      continue;
    }
    const name = LIMIT_VARIABLES[key];
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') {
      out[key] = DEFAULT_LIMITS[key];
      continue;
    }
    const v = /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
    if (!(Number.isSafeInteger(v) && v > 0)) throw errors.badLimitVariable(name, raw);
    out[key] = v;
  }
  return out as unknown as Limits;
}

/**
 * Throw BAD_VALUE unless `value` ≤ the limit `key`: a size declared by `file` (`what`, e.g.
 * 'array [1000, 512] of float32 (bytes)') checked before memory is committed to it.
 */
export function checkLimit(limits: Limits, key: keyof Limits, file: string, what: string, value: number): void {
  if (value > limits[key]) throw errors.overLimit(file, what, value, key, limits[key], LIMIT_VARIABLES[key]);
}
