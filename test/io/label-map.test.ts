import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeLabelMap } from '../../src/io/label-map.js';
import { readLabelMap, readLabelMapFolder } from '../../src/io/node-label-map.js';
import { decodePng } from '../../src/io/png.js';
import { EXPECTED, type Expected, expectKrsError, expectTensor, fixture, tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(tmp.cleanup);
const png = EXPECTED.png as Record<string, Expected>;

describe('PNG label maps written by hand (zlib + struct)', () => {
  it.each(Object.keys(png))('%s', (name) => {
    expectTensor(readLabelMap(fixture('png', name)), png[name]!);
  });

  it('returns palette indices, not colours', () => {
    const bytes = fs.readFileSync(fixture('png', 'palette8.png'));
    const img = decodePng(bytes, 'palette8.png');
    expect(img.colorType).toBe(3);
    expect(img.palette!.length).toBe(256 * 3);
    expect(decodeLabelMap(bytes, 'palette8.png').data).toEqual(img.samples);
    expect(Math.max(...img.samples)).toBe(255); // the ignore label survives
  });

  it('reads a folder: ids are sorted file names without .png; other files are ignored', () => {
    const f = readLabelMapFolder(fixture('labelmaps'));
    expect(f.ids).toEqual(['img_001', 'img_002', 'img_010']);
    f.ids.forEach((id, i) => expectTensor(f.maps[i]!, EXPECTED.labelmaps[id]));
  });

  it('rejects RGB images with an explanation', () => {
    expectKrsError(() => readLabelMap(fixture('png', 'rgb.png')), 'BAD_FILE', 'rgb.png', 'RGB', 'palette (indexed) or greyscale');
  });

  it('rejects folders without PNGs and missing folders', () => {
    expectKrsError(() => readLabelMapFolder(fixture('npy_dir')), 'BAD_FILE', 'npy_dir', 'no .png');
    expectKrsError(() => readLabelMapFolder(path.join(tmp.dir, 'nope')), 'FILE_NOT_FOUND', 'nope');
    expectKrsError(() => readLabelMapFolder(fixture('png', 'grey8.png')), 'BAD_FILE', 'grey8.png', 'not a folder');
  });

  it('names the offending file inside a folder', () => {
    const dir = path.join(tmp.dir, 'maps');
    fs.mkdirSync(dir);
    fs.copyFileSync(fixture('png', 'grey8.png'), path.join(dir, 'a.png'));
    fs.copyFileSync(fixture('png', 'rgb.png'), path.join(dir, 'b.png'));
    expectKrsError(() => readLabelMapFolder(dir), 'BAD_FILE', path.join(dir, 'b.png'));
  });
});
