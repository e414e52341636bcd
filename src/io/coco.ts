/**
 * COCO-results JSON for detections: the format `pycocotools` `loadRes` reads and most
 * detectors export — a JSON array of
 * `{"image_id": 42, "category_id": 3, "bbox": [x, y, width, height], "score": 0.93}`,
 * with (x, y) the top-left corner in pixels. Other fields (`segmentation`, `area`, …)
 * are ignored.
 *
 * Validation: `image_id` is an integer or a non-empty string (kept as a string; the
 * integer 7 and the string "7" are the same image); `category_id` is a finite number;
 * `bbox` is 4 finite numbers with width and height ≥ 0; `score` is any finite number —
 * scores outside [0, 1] are allowed, since some detectors emit uncalibrated scores, and
 * the score threshold of the agreement applies to them as given. A leading UTF-8
 * byte-order mark (U+FEFF, as Windows editors write) is dropped.
 */

import type { Detection } from '../agreement/detection.js';
import { errors } from '../core/errors.js';

export type { Detection };

/**
 * Parse COCO-results JSON text.
 * @param name the file name, used in every error message
 * @throws KrsError BAD_FILE (not JSON, not an array, an element that is not an object,
 *   a missing or mistyped field, a bbox that is not 4 numbers); BAD_VALUE (negative
 *   width or height, NaN/±Inf such as `1e999`, a non-integer numeric image_id).
 *   Messages name the file and the array index.
 * @example parseCocoResults('[{"image_id":1,"category_id":2,"bbox":[0,0,4,3],"score":0.9}]', 'd.json')
 */
export function parseCocoResults(text: string, name: string): Detection[] {
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    const hint = /\b(NaN|-?Infinity)\b/.test(text) ? '; it contains NaN or Infinity, which JSON does not allow' : '';
    throw errors.badFile(name, `not valid JSON (${(e as Error).message})${hint}`);
  }
  if (!Array.isArray(json)) {
    const got = json === null ? 'null' : typeof json === 'object' ? 'an object' : typeof json;
    throw errors.badFile(name, `expected a JSON array of COCO-results detections, got ${got}`);
  }
  return json.map((d: unknown, i): Detection => {
    const at = `detection [${i}]`;
    if (d === null || typeof d !== 'object' || Array.isArray(d)) throw errors.badFile(name, `${at} is not an object`);
    const r = d as Record<string, unknown>;
    const field = (key: string): unknown => {
      if (!(key in r)) throw errors.badFile(name, `${at} has no '${key}'`);
      return r[key];
    };
    const num = (key: string, v: unknown, what = key): number => {
      if (typeof v !== 'number') throw errors.badFile(name, `${at} '${key}' is ${JSON.stringify(v)}, expected a number`);
      if (!Number.isFinite(v)) throw errors.badValue(`${name}: ${at} ${what}`, v, 'a finite number');
      return v;
    };
    const id = field('image_id');
    let imageId: string;
    if (typeof id === 'string' && id !== '') imageId = id;
    else if (typeof id === 'number') {
      if (!Number.isSafeInteger(id)) throw errors.badValue(`${name}: ${at} image_id`, id, 'an integer or a string');
      imageId = String(id);
    } else throw errors.badFile(name, `${at} 'image_id' is ${JSON.stringify(id)}, expected an integer or a non-empty string`);
    const categoryId = num('category_id', field('category_id'));
    const box = field('bbox');
    if (!Array.isArray(box) || box.length !== 4) {
      throw errors.badFile(name, `${at} 'bbox' is ${JSON.stringify(box)}, expected [x, y, width, height]`);
    }
    const names = ['x', 'y', 'width', 'height'];
    const bbox = box.map((v, k) => num('bbox', v, `bbox ${names[k]}`)) as [number, number, number, number];
    if (bbox[2] < 0) throw errors.badValue(`${name}: ${at} bbox width`, bbox[2], 'a non-negative number');
    if (bbox[3] < 0) throw errors.badValue(`${name}: ${at} bbox height`, bbox[3], 'a non-negative number');
    const score = num('score', field('score'));
    return { imageId, categoryId, bbox, score };
  });
}
