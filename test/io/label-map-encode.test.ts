/**
 * The PNG label-map writer: what it writes decodes back to the same map (by krs's decoder,
 * checked against PIL-written fixtures, and by Node's zlib on the raw IDAT rows), its chunks
 * are well formed, and bad maps are refused in one line.
 */
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../src/io/crc32.js';
import { decodeLabelMap } from '../../src/io/label-map.js';
import { encodeLabelMapPng } from '../../src/io/label-map-encode.js';
import { expectKrsError } from '../helpers/fixtures.js';

/** The chunks of a PNG: type, data, whether the CRC matches. */
function chunks(png: Uint8Array): { type: string; data: Uint8Array; crcOk: boolean }[] {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const out = [];
  for (let at = 8; at < png.length; ) {
    const len = view.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    const data = png.subarray(at + 8, at + 8 + len);
    out.push({ type, data, crcOk: view.getUint32(at + 8 + len) === crc32(png.subarray(at + 4, at + 8 + len)) });
    at += 12 + len;
  }
  return out;
}

describe('encodeLabelMapPng', () => {
  const h = 5;
  const w = 7;
  const map = Uint8Array.from({ length: h * w }, (_, i) => (i * 37) % 256);

  it('round-trips through decodeLabelMap as an 8-bit map', () => {
    const t = decodeLabelMap(encodeLabelMapPng(map, h, w), 'x.png');
    expect(t.dtype).toBe('uint8');
    expect(t.shape).toEqual([h, w]);
    expect([...(t.data as Uint8Array)]).toEqual([...map]);
  });

  it('writes the signature, IHDR (8-bit greyscale), one IDAT of filter-0 rows and IEND, with valid CRCs', () => {
    const png = encodeLabelMapPng(map, h, w);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const cs = chunks(png);
    expect(cs.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    expect(cs.every((c) => c.crcOk)).toBe(true);
    const ihdr = new DataView(cs[0]!.data.buffer, cs[0]!.data.byteOffset);
    expect([ihdr.getUint32(0), ihdr.getUint32(4), cs[0]!.data[8], cs[0]!.data[9], cs[0]!.data[12]]).toEqual([w, h, 8, 0, 0]);
    const raw = inflateSync(cs[1]!.data);
    expect(raw.length).toBe(h * (w + 1));
    for (let y = 0; y < h; y++) {
      expect(raw[y * (w + 1)]).toBe(0);
      expect([...raw.subarray(y * (w + 1) + 1, (y + 1) * (w + 1))]).toEqual([...map.subarray(y * w, (y + 1) * w)]);
    }
  });

  it('is deterministic', () => {
    expect(encodeLabelMapPng(map, h, w)).toEqual(encodeLabelMapPng(map, h, w));
  });

  it('refuses a wrong length, a label outside 0…255 and a bad size in one line', async () => {
    await expectKrsError(() => encodeLabelMapPng(map, h, w + 1), 'SHAPE_MISMATCH', /35/);
    await expectKrsError(() => encodeLabelMapPng([0, 256], 1, 2, 'map a'), 'BAD_VALUE', /map a at row 0, column 1/);
    await expectKrsError(() => encodeLabelMapPng([0, 1.5], 1, 2), 'BAD_VALUE', /1\.5/);
    await expectKrsError(() => encodeLabelMapPng([], 0, 2), 'BAD_OPTION', /height/);
  });
});
