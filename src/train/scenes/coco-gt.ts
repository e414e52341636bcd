/**
 * COCO ground truth for scene sets: the JSON `pycocotools`' `COCO(file)` loads, so a detection
 * study can write it next to the teacher's and the student's COCO-results files (the format
 * krs reads, src/io/coco.ts) and score them against it (docs/studies.md §"Digit scenes").
 */
import { errors } from '../../core/errors.js';
import { writeFileAtomic } from '../../io/node-atomic-write.js';
import type { SceneSet } from './generate.js';

/** The COCO ground-truth document (instances format, boxes only). */
export interface CocoGroundTruth {
  info: { description: string; side: string; seed: number };
  images: { id: number; width: number; height: number; file_name: string }[];
  annotations: {
    id: number;
    image_id: number;
    category_id: number;
    bbox: [number, number, number, number];
    area: number;
    iscrowd: 0;
  }[];
  categories: { id: number; name: string; supercategory: string }[];
}

/** The 10 categories: id d + 1 named "d" (the label map's numbering; 0, background, is no category). */
export const DIGIT_CATEGORIES: CocoGroundTruth['categories'] = Array.from({ length: 10 }, (_, d) => ({
  id: d + 1,
  name: String(d),
  supercategory: 'digit',
}));

/**
 * The ground truth of `set`: image ids `firstImageId + i` for scene i (default 0: the scene's
 * row in the arrays), file names `<side>-<i>.png` (the scenes are not written as files; the
 * name only identifies them); one annotation per digit, ids 1, 2, … in scene order (never 0:
 * pycocotools' matcher treats id 0 as "unmatched"), with the digit's box (pixel units, x +
 * width exclusive), category d + 1 and area = its labelled pixels.
 * @throws KrsError BAD_OPTION for a `firstImageId` that is not a non-negative integer.
 */
export function cocoGroundTruth(set: SceneSet, firstImageId = 0): CocoGroundTruth {
  if (!Number.isSafeInteger(firstImageId) || firstImageId < 0) {
    throw errors.badOption('firstImageId', firstImageId, 'a non-negative integer');
  }
  const images: CocoGroundTruth['images'] = [];
  const annotations: CocoGroundTruth['annotations'] = [];
  set.scenes.forEach((scene, i) => {
    const imageId = firstImageId + i;
    images.push({ id: imageId, width: set.width, height: set.height, file_name: `${set.side}-${i}.png` });
    for (const o of scene.objects) {
      annotations.push({ id: annotations.length + 1, image_id: imageId, category_id: o.categoryId, bbox: [...o.bbox], area: o.area, iscrowd: 0 });
    }
  });
  return {
    info: { description: `krs digit scenes (${set.side === 'train' ? 'training' : 'held-out'} side)`, side: set.side, seed: set.seed },
    images,
    annotations,
    categories: DIGIT_CATEGORIES.map((c) => ({ ...c })),
  };
}

/**
 * Write {@link cocoGroundTruth} of `set` to `file` (JSON, written atomically).
 * @throws KrsError environment kinds when the file cannot be written.
 */
export function writeCocoGroundTruth(file: string, set: SceneSet, firstImageId = 0): void {
  writeFileAtomic(file, `${JSON.stringify(cocoGroundTruth(set, firstImageId))}\n`, 'the COCO ground truth');
}
