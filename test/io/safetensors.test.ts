import { describe, expect, it } from 'vitest';
import { fileSource } from '../../src/io/node-source.js';
import { readSafetensorsHeader, safetensorsCapture } from '../../src/io/safetensors.js';
import { EXPECTED, type Expected, expectedRows, expectKrsError, expectTensor, fixture } from './helpers.js';

const st = EXPECTED.safetensors as {
  metadata: Record<string, string>;
  keys: string[];
  tensors: Record<string, Expected>;
  unsupported: Record<string, string>;
};
const FILE = fixture('safetensors', 'all_dtypes.safetensors');

describe('safetensors written by hand (struct + json)', () => {
  it('parses the header and metadata', () => {
    const h = readSafetensorsHeader(fileSource(FILE));
    expect([...h.tensors.keys()]).toEqual(st.keys);
    expect(h.metadata).toEqual(st.metadata);
    expect(h.dataOffset % 8).toBe(0);
  });

  it('lists every tensor, in header order', () => {
    expect(safetensorsCapture(fileSource(FILE)).keys()).toEqual(st.keys);
  });

  it.each(Object.keys(st.tensors))('reads %s', (key) => {
    const c = safetensorsCapture(fileSource(FILE));
    const e = st.tensors[key]!;
    expect(c.info(key)).toEqual({ dtype: e.dtype, shape: e.shape });
    expectTensor(c.read(key), e);
  });

  it.each(Object.keys(st.tensors).filter((k) => st.tensors[k]!.shape.length > 0))('reads rows of %s', (key) => {
    const c = safetensorsCapture(fileSource(FILE));
    const e = st.tensors[key]!;
    const n = e.shape[0]!;
    expectTensor(c.readRows(key, Math.min(1, n), n), expectedRows(e, Math.min(1, n), n));
  });

  it('keeps the file usable when one tensor has an unsupported dtype', () => {
    const c = safetensorsCapture(fileSource(FILE));
    expectKrsError(() => c.info('fp8'), 'UNSUPPORTED_DTYPE', 'all_dtypes.safetensors', 'F8_E4M3', "'fp8'");
    expectKrsError(() => c.read('fp8'), 'UNSUPPORTED_DTYPE');
    expectTensor(c.read('float32'), st.tensors.float32!);
  });

  it('rejects bad row ranges and unknown keys', () => {
    const c = safetensorsCapture(fileSource(FILE));
    expectKrsError(() => c.readRows('float32', 0, 4), 'BAD_OPTION', "'float32'", '[0, 4)');
    expectKrsError(() => c.readRows('scalar', 0, 1), 'SHAPE_MISMATCH', "'scalar'");
    expectKrsError(() => c.read('nope'), 'UNKNOWN_KEY', "'nope'", 'all_dtypes.safetensors');
  });
});
