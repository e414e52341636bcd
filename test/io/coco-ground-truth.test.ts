import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCocoGroundTruth } from '../../src/io/coco-ground-truth.js';
import { readCocoGroundTruth } from '../../src/io/node-coco-ground-truth.js';
import { expectKrsError, tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(tmp.cleanup);

const doc = (over: Record<string, unknown> = {}) => ({
  images: [{ id: 3, file_name: 'c.jpg' }, { id: 1 }, { id: 2 }],
  annotations: [
    { id: 10, image_id: 1, category_id: 5, bbox: [1, 2, 3, 4], area: 12, iscrowd: 0, segmentation: [] },
    { id: 11, image_id: 3, category_id: 7, bbox: [0, 0, 10, 10], iscrowd: 1 },
    { id: 12, image_id: 1, category_id: 7, bbox: [5, 5, 0, 2] },
  ],
  categories: [
    { id: 5, name: 'cat' },
    { id: 7, name: 'dog', supercategory: 'animal' },
  ],
  ...over,
});
const parse = (v: unknown) => parseCocoGroundTruth(JSON.stringify(v), 'gt.json');

describe('COCO ground truth', () => {
  it('reads images (ascending integer ids), their boxes in file order, crowd flags and categories', () => {
    const file = path.join(tmp.dir, 'gt.json');
    fs.writeFileSync(file, `\uFEFF${JSON.stringify(doc())}`);
    const gt = readCocoGroundTruth(file);
    expect(gt.categories).toEqual([
      { id: 5, name: 'cat' },
      { id: 7, name: 'dog' },
    ]);
    expect(gt.images).toEqual([
      {
        imageId: '1',
        boxes: [
          { categoryId: 5, bbox: [1, 2, 3, 4], iscrowd: false },
          { categoryId: 7, bbox: [5, 5, 0, 2], iscrowd: false },
        ],
      },
      { imageId: '2', boxes: [] },
      { imageId: '3', boxes: [{ categoryId: 7, bbox: [0, 0, 10, 10], iscrowd: true }] },
    ]);
  });

  it('keeps the file order when an id is not an integer; "2" and 2 are the same image', () => {
    const gt = parse(
      doc({ images: [{ id: 'b.jpg' }, { id: 'a.jpg' }, { id: 1 }, { id: 3 }], annotations: [{ image_id: '1', category_id: 5, bbox: [0, 0, 1, 1] }] }),
    );
    expect(gt.images.map((im) => im.imageId)).toEqual(['b.jpg', 'a.jpg', '1', '3']);
    expect(gt.images[2]!.boxes).toHaveLength(1);
    expect(parse(doc({ annotations: [] })).images.every((im) => im.boxes.length === 0)).toBe(true);
  });

  it('rejects malformed files with one line naming the file, the array and the index', () => {
    expectKrsError(() => parseCocoGroundTruth('{oops', 'gt.json'), 'BAD_FILE', 'gt.json', 'not valid JSON');
    expectKrsError(() => parse([]), 'BAD_FILE', 'gt.json', 'COCO-results file');
    expectKrsError(() => parse({ images: [], annotations: [] }), 'BAD_FILE', "no 'categories'");
    expectKrsError(() => parse(doc({ images: {} })), 'BAD_FILE', "'images' is an object");
    expectKrsError(() => parse(doc({ images: [{ id: 1 }, 4] })), 'BAD_FILE', 'images [1]', 'expected an object');
    expectKrsError(() => parse(doc({ images: [{ id: 1 }, { id: 1.5 }] })), 'BAD_VALUE', 'gt.json: images [1] id');
    expectKrsError(() => parse(doc({ images: [{ id: 1 }, { name: 'x' }] })), 'BAD_FILE', "images [1] has no 'id'");
    expectKrsError(() => parse(doc({ images: [{ id: 1 }, { id: '1' }] })), 'ID_MISMATCH', 'gt.json: image id', "'1'", 'images [1]');
    expectKrsError(() => parse(doc({ categories: [{ id: 5 }, { id: 5 }] })), 'ID_MISMATCH', 'category id', 'categories [1]');
    expectKrsError(() => parse(doc({ categories: [{ id: '5' }] })), 'BAD_FILE', "categories [0] 'id'");
    const ann = (over: Record<string, unknown>) =>
      doc({
        annotations: [
          { image_id: 1, category_id: 5, bbox: [0, 0, 1, 1] },
          { image_id: 1, category_id: 5, bbox: [0, 0, 1, 1], ...over },
        ],
      });
    expectKrsError(() => parse(ann({ image_id: 9 })), 'BAD_VALUE', 'gt.json: annotations [1] image_id', 'listed in images');
    expectKrsError(() => parse(ann({ category_id: 6 })), 'BAD_VALUE', 'annotations [1] category_id', 'listed in categories');
    expectKrsError(() => parse(ann({ bbox: [0, 0, 1] })), 'BAD_FILE', "annotations [1] 'bbox'");
    expectKrsError(() => parse(ann({ bbox: [0, 0, '1', 1] })), 'BAD_FILE', "annotations [1] 'bbox'");
    expectKrsError(() => parse(ann({ bbox: [0, 0, -1, 1] })), 'BAD_VALUE', 'annotations [1] bbox width');
    expectKrsError(() => parse(ann({ iscrowd: 2 })), 'BAD_VALUE', 'annotations [1] iscrowd');
    expectKrsError(() => parse(ann({ bbox: undefined })), 'BAD_FILE', "annotations [1] has no 'bbox'");
    expectKrsError(
      () => parseCocoGroundTruth('{"images":[{"id":1}],"categories":[{"id":1}],"annotations":[{"image_id":1,"category_id":1,"bbox":[0,0,1e999,1]}]}', 'g.json'),
      'BAD_VALUE',
      'g.json: annotations [0] bbox width',
      'finite',
    );
  });

  it('a missing file is FILE_NOT_FOUND; a file over maxTextBytes is refused before it is read', () => {
    expectKrsError(() => readCocoGroundTruth(path.join(tmp.dir, 'none.json')), 'FILE_NOT_FOUND', 'none.json');
    const file = path.join(tmp.dir, 'big.json');
    fs.writeFileSync(file, JSON.stringify(doc()));
    expectKrsError(() => readCocoGroundTruth(file, { limits: { maxTextBytes: 10 } }), 'BAD_VALUE', 'maxTextBytes');
  });
});
