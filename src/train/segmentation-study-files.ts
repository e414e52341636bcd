/**
 * Node-only: the files of the segmentation study — every network's held-out label maps as
 * PNG folders (one 8-bit greyscale PNG per scene whose pixel values are the class ids:
 * 0 background, d + 1 for digit d), so `krs score --task segmentation` and any segmentation
 * evaluator can re-score them, and the table of every network's mIoU against the ground truth.
 *
 *     <out>/label-maps/ground-truth/scene-0000.png …   the held-out ground truth
 *     <out>/label-maps/teacher/scene-0000.png …        the teacher's predictions
 *     <out>/label-maps/<student>-<method>/…            each student's, by method
 *     <out>/label-maps/miou.json                       mIoU, pixel accuracy, per-class IoU
 *
 * File names are zero-padded scene indices, so the folder's sorted order (the order
 * `readLabelMapFolder` returns) is the held-out order, the rows of the features.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SegmentationAgreementResult } from '../agreement/segmentation.js';
import { encodeLabelMapPng } from '../io/label-map-encode.js';
import { writeDirAtomic, writeFailure, writeFileAtomic } from '../io/node-atomic-write.js';

/** The folder of one network's label maps (`ground-truth`, `teacher`, `<student>-<method>`). */
export const labelMapFolder = (out: string, network: string): string => path.join(out, 'label-maps', network);

/** The file name of held-out scene i of n (`scene-0007`), without `.png`. */
export function sceneFileId(i: number, n: number): string {
  return `scene-${String(i).padStart(Math.max(4, String(n - 1).length), '0')}`;
}

/**
 * Write n label maps [n, h, w] as `<folder>/scene-XXXX.png`, the folder committed as one
 * (`writeDirAtomic`: an interrupted run leaves no half-written folder, and its message names
 * the folder, not every file).
 */
export async function writeLabelMaps(folder: string, maps: Uint8Array, n: number, height: number, width: number): Promise<void> {
  const px = height * width;
  await writeDirAtomic(folder, 'the label maps', async (tmp) => {
    for (let i = 0; i < n; i++) {
      const id = sceneFileId(i, n);
      const file = path.join(tmp, `${id}.png`);
      try {
        fs.writeFileSync(file, encodeLabelMapPng(maps.subarray(i * px, (i + 1) * px), height, width, `label map ${id}`));
      } catch (e) {
        throw writeFailure(path.join(folder, `${id}.png`), e, 'a label map');
      }
    }
  });
}

/** One network's scores against the ground truth, as miou.json keeps them. */
export interface MiouRow {
  /** mIoU in percent over the classes present in the ground truth or the prediction. */
  miou: number;
  /** Pixels labelled as in the ground truth, percent. */
  pixelAccuracy: number;
  /** IoU (percent) by class id (0 background, d + 1 digit d). */
  perClassIou: Record<string, number>;
}

/** The row of miou.json from a segmentation agreement against the ground truth. */
export function miouRow(r: SegmentationAgreementResult): MiouRow {
  return {
    miou: r.aoa,
    pixelAccuracy: 100 * r.pixelAgreement,
    perClassIou: Object.fromEntries(Object.entries(r.perClassIou).map(([k, v]) => [k, 100 * v])),
  };
}

/** Write `<out>/label-maps/miou.json`. */
export function writeMiouTable(out: string, table: Record<string, MiouRow>): void {
  writeFileAtomic(path.join(out, 'label-maps', 'miou.json'), `${JSON.stringify(table, null, 2)}\n`, 'the mIoU table');
}
