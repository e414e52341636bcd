/**
 * COCO ground-truth JSON for detection (the `instances_*.json` layout `pycocotools`' `COCO`
 * reads): one object with three arrays,
 *
 *     {"images":      [{"id": 42, …}, …],
 *      "annotations": [{"image_id": 42, "category_id": 3, "bbox": [x, y, width, height], "iscrowd": 0, …}, …],
 *      "categories":  [{"id": 3, "name": "cat"}, …]}
 *
 * with (x, y) the top-left corner in pixels. Other fields (`file_name`, `area`,
 * `segmentation`, annotation `id`s…) are ignored: the box evaluator of
 * `src/train/coco-map.ts` uses the area range "all", so `area` plays no part.
 *
 * Validation, as the results reader (`coco.ts`): ids are integers or non-empty strings (kept
 * as strings; 7 and "7" are the same image); an image or category id given twice is
 * ID_MISMATCH; an annotation must name a listed image and a listed category; `bbox` is four
 * finite numbers with width and height ≥ 0; `iscrowd` is 0, 1, true or false (absent = 0).
 * Every message is one line naming the file and the array and index at fault.
 *
 * Image order: ascending by id when every id is an integer (or a string of digits) (the order of `pycocotools`'
 * sorted image ids, which decides score ties across images), else the file's order.
 */
import { errors } from '../core/errors.js';

/** One ground-truth box: `bbox` is [x, y, width, height] in pixels; `iscrowd` marks a crowd region. */
export interface GroundTruthBox {
  readonly categoryId: number;
  readonly bbox: readonly [number, number, number, number];
  /** A crowd region: matched detections are neither true nor false positives. Default false. */
  readonly iscrowd?: boolean;
}

/** One image of the ground truth with all its boxes (possibly none). */
export interface GroundTruthImage {
  readonly imageId: string;
  readonly boxes: readonly GroundTruthBox[];
}

/** A category of the ground truth. */
export interface GroundTruthCategory {
  readonly id: number;
  readonly name: string;
}

/** A parsed COCO ground-truth file. */
export interface CocoGroundTruth {
  /** Every listed image, with its boxes (in the file's order of annotations). */
  readonly images: GroundTruthImage[];
  /** The listed categories, in the file's order. */
  readonly categories: GroundTruthCategory[];
}

type Json = Record<string, unknown>;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : JSON.stringify(v);
}

/** The array `key` of the top-level object. */
function arrayField(root: Json, key: string, name: string): unknown[] {
  if (!(key in root)) throw errors.badFile(name, `has no '${key}' array (a COCO ground-truth file has images, annotations and categories)`);
  const v = root[key];
  if (!Array.isArray(v)) throw errors.badFile(name, `'${key}' is ${describe(v)}, expected an array`);
  return v;
}

/** Element `i` of array `key`, which must be an object. */
function element(v: unknown, key: string, i: number, name: string): Json {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw errors.badFile(name, `${key} [${i}] is ${describe(v)}, expected an object`);
  return v as Json;
}

/** An id field: an integer or a non-empty string, as a string. */
function idField(r: Json, field: string, at: string, name: string): string {
  if (!(field in r)) throw errors.badFile(name, `${at} has no '${field}'`);
  const v = r[field];
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw errors.badValue(`${name}: ${at} ${field}`, v, 'an integer or a non-empty string');
    return String(v);
  }
  throw errors.badFile(name, `${at} '${field}' is ${JSON.stringify(v)}, expected an integer or a non-empty string`);
}

/** A category id: a finite number (the type of `Detection.categoryId`); integers in practice. */
function categoryField(r: Json, field: string, at: string, name: string): number {
  if (!(field in r)) throw errors.badFile(name, `${at} has no '${field}'`);
  const v = r[field];
  if (typeof v !== 'number') throw errors.badFile(name, `${at} '${field}' is ${JSON.stringify(v)}, expected a number`);
  if (!Number.isFinite(v)) throw errors.badValue(`${name}: ${at} ${field}`, v, 'a finite number');
  return v;
}

const BOX_PARTS = ['x', 'y', 'width', 'height'];

function bboxField(r: Json, at: string, name: string): [number, number, number, number] {
  if (!('bbox' in r)) throw errors.badFile(name, `${at} has no 'bbox'`);
  const box = r.bbox;
  if (!Array.isArray(box) || box.length !== 4) throw errors.badFile(name, `${at} 'bbox' is ${JSON.stringify(box)}, expected [x, y, width, height]`);
  const out = box.map((v, k) => {
    if (typeof v !== 'number') throw errors.badFile(name, `${at} 'bbox' is ${JSON.stringify(box)}, expected four numbers`);
    if (!Number.isFinite(v)) throw errors.badValue(`${name}: ${at} bbox ${BOX_PARTS[k]}`, v, 'a finite number');
    return v;
  }) as [number, number, number, number];
  if (out[2] < 0) throw errors.badValue(`${name}: ${at} bbox width`, out[2], 'a non-negative number');
  if (out[3] < 0) throw errors.badValue(`${name}: ${at} bbox height`, out[3], 'a non-negative number');
  return out;
}

function crowdField(r: Json, at: string, name: string): boolean {
  const v = r.iscrowd;
  if (v === undefined || v === 0 || v === false) return false;
  if (v === 1 || v === true) return true;
  throw errors.badValue(`${name}: ${at} iscrowd`, v, '0, 1, true or false');
}

/** Images ascending by integer id when every id is an integer, else in file order. */
function ordered(images: GroundTruthImage[]): GroundTruthImage[] {
  if (!images.every((im) => /^-?\d+$/.test(im.imageId))) return images;
  return [...images].sort((a, b) => Number(a.imageId) - Number(b.imageId));
}

/**
 * Parse COCO ground-truth JSON text (images, annotations, categories).
 * @param name the file name, used in every error message
 * @throws KrsError BAD_FILE (not JSON, not an object, a missing or mistyped array or field, a
 *   bbox that is not 4 numbers); BAD_VALUE (negative width or height, NaN/±Inf such as
 *   `1e999`, a non-integer numeric id, a bad iscrowd, an annotation naming an image or
 *   category that is not listed); ID_MISMATCH (an image or category id listed twice).
 *   Messages name the file, the array and the index.
 * @example parseCocoGroundTruth('{"images":[{"id":1}],"annotations":[],"categories":[{"id":1,"name":"cat"}]}', 'gt.json').images
 *   // [{ imageId: '1', boxes: [] }]
 */
export function parseCocoGroundTruth(text: string, name: string): CocoGroundTruth {
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    const hint = /\b(NaN|-?Infinity)\b/.test(text) ? '; it contains NaN or Infinity, which JSON does not allow' : '';
    throw errors.badFile(name, `not valid JSON (${(e as Error).message})${hint}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    const hint = Array.isArray(json) ? ' (an array is a COCO-results file of detections, not ground truth)' : '';
    throw errors.badFile(name, `expected a COCO ground-truth object {images, annotations, categories}, got ${describe(json)}${hint}`);
  }
  const root = json as Json;
  const imagesIn = arrayField(root, 'images', name);
  const annotations = arrayField(root, 'annotations', name);
  const categoriesIn = arrayField(root, 'categories', name);

  const categories: GroundTruthCategory[] = [];
  const categoryIds = new Set<number>();
  categoriesIn.forEach((v, i) => {
    const r = element(v, 'categories', i, name);
    const at = `categories [${i}]`;
    const id = categoryField(r, 'id', at, name);
    if (categoryIds.has(id)) throw errors.duplicateId(`${name}: category id`, String(id), `${at} repeats it`);
    categoryIds.add(id);
    categories.push({ id, name: typeof r.name === 'string' ? r.name : String(id) });
  });

  const boxesOf = new Map<string, GroundTruthBox[]>();
  const images: GroundTruthImage[] = [];
  imagesIn.forEach((v, i) => {
    const at = `images [${i}]`;
    const id = idField(element(v, 'images', i, name), 'id', at, name);
    if (boxesOf.has(id)) throw errors.duplicateId(`${name}: image id`, id, `${at} repeats it`);
    const boxes: GroundTruthBox[] = [];
    boxesOf.set(id, boxes);
    images.push({ imageId: id, boxes });
  });

  annotations.forEach((v, i) => {
    const r = element(v, 'annotations', i, name);
    const at = `annotations [${i}]`;
    const imageId = idField(r, 'image_id', at, name);
    const boxes = boxesOf.get(imageId);
    if (boxes === undefined) throw errors.badValue(`${name}: ${at} image_id`, imageId, 'the id of an image listed in images');
    const categoryId = categoryField(r, 'category_id', at, name);
    if (!categoryIds.has(categoryId)) throw errors.badValue(`${name}: ${at} category_id`, categoryId, 'the id of a category listed in categories');
    boxes.push({ categoryId, bbox: bboxField(r, at, name), iscrowd: crowdField(r, at, name) });
  });
  return { images: ordered(images), categories };
}
