import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openCapture } from '../../src/io/node-capture.js';
import { detectCaptureFormat, npyKey, openCaptureSource } from '../../src/io/open.js';
import { bytesSource } from '../../src/io/source.js';
import { EXPECTED, type Expected, expectedRows, expectKrsError, expectTensor, fixture, tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(tmp.cleanup);

describe('openCapture', () => {
  it('opens a folder of .npy files (sorted keys, other files ignored)', () => {
    const c = openCapture(fixture('npy_dir'));
    const e = EXPECTED.npy_dir as Record<string, Expected>;
    expect(c.source).toBe(fixture('npy_dir'));
    expect(c.keys()).toEqual(['layer1', 'logits']);
    for (const k of c.keys()) {
      expect(c.info(k)).toEqual({ dtype: e[k]!.dtype, shape: e[k]!.shape });
      expectTensor(c.read(k), e[k]!);
      expectTensor(c.readRows(k, 1, 4), expectedRows(e[k]!, 1, 4));
    }
  });

  it('opens a single .npy as a one-key capture named after the file', () => {
    const c = openCapture(fixture('npy', 'float64_be.npy'));
    expect(c.keys()).toEqual(['float64_be']);
    expectTensor(c.read('float64_be'), EXPECTED.npy['float64_be.npy']);
  });

  it('opens .npz and .safetensors by extension', () => {
    expect(openCapture(fixture('npz', 'savez_compressed.npz')).keys()).toContain('logits');
    expect(openCapture(fixture('safetensors', 'all_dtypes.safetensors')).keys()).toContain('bfloat16');
  });

  it('detects the format from content when the extension says nothing', () => {
    for (const [src, format] of [
      ['npz/savez.npz', 'npz'],
      ['safetensors/all_dtypes.safetensors', 'safetensors'],
      ['npy/int32.npy', 'npy'],
    ] as const) {
      const dest = path.join(tmp.dir, `capture-${format}.bin`);
      fs.copyFileSync(fixture(...src.split('/')), dest);
      const c = openCapture(dest);
      expect(c.keys().length).toBeGreaterThan(0);
      expect(detectCaptureFormat(bytesSource('noext', fs.readFileSync(dest)))).toBe(format);
    }
    expect(openCapture(path.join(tmp.dir, 'capture-npy.bin')).keys()).toEqual(['capture-npy.bin']);
  });

  it('honours an explicit format', () => {
    const dest = path.join(tmp.dir, 'weights.dat');
    fs.copyFileSync(fixture('safetensors', 'all_dtypes.safetensors'), dest);
    expect(openCapture(dest, { format: 'safetensors' }).keys()).toContain('float16');
  });

  it('reports missing paths, unknown formats, empty folders and unknown keys', () => {
    expectKrsError(() => openCapture(path.join(tmp.dir, 'missing.npz')), 'FILE_NOT_FOUND', 'missing.npz');
    const junk = path.join(tmp.dir, 'junk.bin');
    fs.writeFileSync(junk, 'hello world, not an array');
    expectKrsError(() => openCapture(junk), 'BAD_FILE', 'junk.bin', 'unrecognised capture format');
    const empty = path.join(tmp.dir, 'empty-dir');
    fs.mkdirSync(empty);
    expectKrsError(() => openCapture(empty), 'BAD_FILE', 'empty-dir', 'no .npy');
    expectKrsError(() => openCapture(fixture('npy_dir')).read('layer2'), 'UNKNOWN_KEY', "'layer2'", 'npy_dir', 'layer1, logits');
  });
});

describe('openCaptureSource (browser-safe)', () => {
  it('reads in-memory bytes', () => {
    const c = openCaptureSource(bytesSource('upload.npz', fs.readFileSync(fixture('npz', 'savez.npz'))));
    expectTensor(c.read('ids'), EXPECTED.npz.arrays.ids);
  });

  it('derives .npy keys from paths', () => {
    expect(npyKey('a/b/c.npy')).toBe('c');
    expect(npyKey('C:\\x\\Layer.NPY')).toBe('Layer');
    expect(npyKey('plain')).toBe('plain');
  });
});
