/**
 * Corrupt inputs, generated in a temp dir from the good fixtures. Each must raise a
 * KrsError with the right code whose one-line message names the file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openCapture } from '../../src/io/node-capture.js';
import { readLabelMap } from '../../src/io/node-label-map.js';
import { fileSource } from '../../src/io/node-source.js';
import { readNpy, readNpyInfo } from '../../src/io/npy.js';
import { npzCapture } from '../../src/io/npz.js';
import { safetensorsCapture } from '../../src/io/safetensors.js';
import { expectKrsError, fixture, tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(tmp.cleanup);

/** Write `bytes` (derived from a fixture) to the temp dir and return the path. */
function write(name: string, bytes: Uint8Array | string): string {
  const p = path.join(tmp.dir, name);
  fs.writeFileSync(p, bytes);
  return p;
}
const good = (...p: string[]) => new Uint8Array(fs.readFileSync(fixture(...p)));

describe('.npy', () => {
  it('truncated data: says how many bytes the header promises and the file has', () => {
    const p = write('truncated.npy', good('npy', 'float64.npy').subarray(0, 150));
    expectKrsError(() => readNpy(fileSource(p)), 'BAD_FILE', p, 'truncated', 'promises 96 bytes of data', 'file has 22');
    expectKrsError(() => openCapture(p).keys() && openCapture(p).info('truncated'), 'BAD_FILE', p);
  });

  it('truncated header', () => {
    const p = write('short-header.npy', good('npy', 'float64.npy').subarray(0, 60));
    expectKrsError(() => readNpyInfo(fileSource(p)), 'BAD_FILE', p, 'truncated', 'header');
    const q = write('tiny.npy', good('npy', 'float64.npy').subarray(0, 4));
    expectKrsError(() => readNpyInfo(fileSource(q)), 'BAD_FILE', q, 'only 4 bytes');
  });

  it('bad magic', () => {
    const b = good('npy', 'float32.npy');
    b[1] = 0x58; // 'X'
    const p = write('magic.npy', b);
    expectKrsError(() => readNpy(fileSource(p)), 'BAD_FILE', p, 'bad magic', '\\x93NUMPY');
  });

  it('unknown version', () => {
    const b = good('npy', 'float32.npy');
    b[6] = 9;
    const p = write('version.npy', b);
    expectKrsError(() => readNpy(fileSource(p)), 'BAD_FILE', p, 'version 9.0');
  });

  it('malformed header', () => {
    const b = good('npy', 'float32.npy');
    const text = new TextDecoder('latin1').decode(b);
    const at = text.indexOf("'shape': (");
    b.set(new TextEncoder().encode("'shape': [x"), at);
    const p = write('header.npy', b);
    expectKrsError(() => readNpy(fileSource(p)), 'BAD_FILE', p, 'malformed .npy header');
  });

  it.each([
    ['complex64.npy', '<c8'],
    ['strings.npy', '<U3'],
  ])('unsupported dtype: %s', (name, descr) => {
    expectKrsError(() => readNpy(fileSource(fixture('npy', name))), 'UNSUPPORTED_DTYPE', name, descr);
  });

  it('missing file', () => {
    expectKrsError(() => fileSource(path.join(tmp.dir, 'absent.npy')), 'FILE_NOT_FOUND', 'absent.npy');
    expectKrsError(() => fileSource(tmp.dir), 'BAD_FILE', tmp.dir, 'directory');
  });
});

describe('.npz', () => {
  it('truncated archive (end-of-central-directory record lost)', () => {
    const b = good('npz', 'savez.npz');
    for (const cut of [b.length >> 1, b.length - 10]) {
      const p = write(`cut-${cut}.npz`, b.subarray(0, cut));
      expectKrsError(() => npzCapture(fileSource(p)), 'BAD_FILE', p, 'truncated');
    }
  });

  it('central directory pointing outside the file', () => {
    const b = good('npz', 'savez.npz');
    const v = new DataView(b.buffer);
    v.setUint32(b.length - 22 + 16, b.length + 1000, true); // EOCD: offset of the central directory
    const p = write('cd.npz', b);
    expectKrsError(() => npzCapture(fileSource(p)), 'BAD_FILE', p, 'central directory');
  });

  it('not a zip at all', () => {
    const p = write('text.npz', 'just some text, long enough to look for a zip directory in it');
    expectKrsError(() => npzCapture(fileSource(p)), 'BAD_FILE', p, 'not a zip archive');
  });

  it('bad CRC in a stored entry is caught on a full read', () => {
    const b = good('npz', 'savez.npz');
    const v = new DataView(b.buffer);
    const dataStart = 30 + v.getUint16(26, true) + v.getUint16(28, true); // first entry: features.npy
    b[dataStart + 128 + 5]! ^= 0xff; // a data byte after the 128-byte npy header
    const p = write('crc.npz', b);
    const c = npzCapture(fileSource(p));
    expect(c.info('features').shape).toEqual([6, 5]); // the header is intact
    expectKrsError(() => c.read('features'), 'BAD_FILE', `${p}[features.npy]`, 'CRC-32 mismatch');
  });

  it('corrupt deflate data', () => {
    const b = good('npz', 'savez_compressed.npz');
    const v = new DataView(b.buffer);
    const dataStart = 30 + v.getUint16(26, true) + v.getUint16(28, true);
    for (let i = 20; i < 60; i++) b[dataStart + i] = 0xff;
    const p = write('deflate.npz', b);
    expectKrsError(() => npzCapture(fileSource(p)).read('features'), 'BAD_FILE', `${p}[features.npy]`, 'corrupt');
  });

  it('entry running past the end of the archive (zip64 sizes)', () => {
    const b = good('npz', 'zip64.npz');
    const text = new TextDecoder('latin1').decode(b);
    const at = text.lastIndexOf('deflated.npy') + 'deflated.npy'.length; // in the central directory
    new DataView(b.buffer).setBigUint64(at + 4 + 8, 1_000_000n, true); // zip64 extra: compressed size
    const p = write('entry-cut.npz', b);
    const c = npzCapture(fileSource(p));
    expectKrsError(() => c.read('deflated'), 'BAD_FILE', p, 'truncated', "'deflated.npy'", 'needs bytes up to');
    expect(c.read('stored').shape).toEqual([4, 3]);
  });
});

describe('.safetensors', () => {
  const b = () => good('safetensors', 'all_dtypes.safetensors');
  const headerLen = (x: Uint8Array) => Number(new DataView(x.buffer).getBigUint64(0, true));

  it('truncated file: offsets outside the data buffer', () => {
    const x = b();
    const p = write('trunc.safetensors', x.subarray(0, x.length - 10));
    expectKrsError(() => safetensorsCapture(fileSource(p)), 'BAD_FILE', p, 'data_offsets', 'outside');
  });

  it('header length beyond the file, or absurdly large', () => {
    const x = b();
    new DataView(x.buffer).setBigUint64(0, BigInt(x.length), true);
    const p = write('len.safetensors', x);
    expectKrsError(() => safetensorsCapture(fileSource(p)), 'BAD_FILE', p, 'header length', 'beyond the file');
    new DataView(x.buffer).setBigUint64(0, 2n ** 40n, true);
    const q = write('huge.safetensors', x);
    expectKrsError(() => safetensorsCapture(fileSource(q)), 'BAD_FILE', q, 'header length 1099511627776', 'beyond the file');
    const ok = write('ok.safetensors', b());
    expectKrsError(() => safetensorsCapture(fileSource(ok), { limits: { maxHeaderBytes: 8 } }), 'BAD_VALUE', ok, 'maxHeaderBytes = 8', 'KRS_MAX_HEADER_BYTES');
    const r = write('short.safetensors', x.subarray(0, 5));
    expectKrsError(() => safetensorsCapture(fileSource(r)), 'BAD_FILE', r, 'only 5 bytes');
  });

  it('bad JSON', () => {
    const x = b();
    x[8] = 0x78; // 'x' instead of '{'
    const p = write('json.safetensors', x);
    expectKrsError(() => safetensorsCapture(fileSource(p)), 'BAD_FILE', p, 'not valid JSON');
  });

  it('offsets inconsistent with shape × itemsize, and malformed entries', () => {
    const x = b();
    const n = headerLen(x);
    const json = JSON.parse(new TextDecoder().decode(x.subarray(8, 8 + n)));
    const rebuild = (name: string, mutate: (h: Record<string, Record<string, unknown>>) => void) => {
      const h = structuredClone(json);
      mutate(h);
      const text = new TextEncoder().encode(JSON.stringify(h));
      const out = new Uint8Array(8 + text.length + x.length - 8 - n);
      new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
      out.set(text, 8);
      out.set(x.subarray(8 + n), 8 + text.length);
      return write(name, out);
    };
    const p = rebuild('span.safetensors', (h) => void (h.float32!.shape = [3, 5]));
    expectKrsError(() => safetensorsCapture(fileSource(p)), 'BAD_FILE', p, "'float32'", 'needs 60');
    const q = rebuild('shape.safetensors', (h) => void (h.int8!.shape = [3, -4]));
    expectKrsError(() => safetensorsCapture(fileSource(q)), 'BAD_FILE', q, "'int8'", 'shape');
    const r = rebuild('offsets.safetensors', (h) => void (h.int8!.data_offsets = [5]));
    expectKrsError(() => safetensorsCapture(fileSource(r)), 'BAD_FILE', r, 'data_offsets');
    const s = rebuild('dtype.safetensors', (h) => void (h.uint8!.dtype = 'Q7'));
    expectKrsError(() => safetensorsCapture(fileSource(s)).read('uint8'), 'UNSUPPORTED_DTYPE', s, 'Q7', "'uint8'");
  });
});

describe('PNG label maps', () => {
  it('truncated PNG', () => {
    const x = good('png', 'palette8.png');
    for (const cut of [x.length >> 1, x.length - 5, 20]) {
      const p = write(`cut-${cut}.png`, x.subarray(0, cut));
      expectKrsError(() => readLabelMap(p), 'BAD_FILE', p, 'truncated');
    }
  });

  it('bad chunk CRC, bad signature', () => {
    const x = good('png', 'palette8.png');
    x[x.length - 30]! ^= 0x55; // inside the last IDAT
    const p = write('crc.png', x);
    expectKrsError(() => readLabelMap(p), 'BAD_FILE', p, 'bad CRC');
    const q = write('sig.png', 'GIF89a not a png');
    expectKrsError(() => readLabelMap(q), 'BAD_FILE', q, 'not a PNG');
  });

  it('RGB PNG', () => {
    expectKrsError(() => readLabelMap(fixture('png', 'rgb.png')), 'BAD_FILE', 'rgb.png', 'label map must be a palette');
  });
});
