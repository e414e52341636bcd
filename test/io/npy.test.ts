import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fileSource } from '../../src/io/node-source.js';
import { fortranToC, readNpy, readNpyInfo, readNpyRows } from '../../src/io/npy.js';
import { parsePyLiteral } from '../../src/io/py-literal.js';
import { bytesSource } from '../../src/io/source.js';
import { EXPECTED, type Expected, expectedRows, expectKrsError, expectTensor, fixture, npyBytes } from './helpers.js';

const npy = EXPECTED.npy as Record<string, Expected & { unsupported?: string }>;
const readable = Object.entries(npy).filter(([, e]) => e.unsupported === undefined);

describe('readNpy on files written by NumPy', () => {
  it.each(readable)('%s', (name, e) => {
    const src = fileSource(fixture('npy', name));
    const info = readNpyInfo(src);
    expect(info.dtype).toBe(e.dtype);
    expect(info.shape).toEqual(e.shape);
    expect(info.fortranOrder).toBe(e.fortran);
    expect(info.version).toBe(e.version);
    expectTensor(readNpy(src), e);
  });

  it('covers every dtype, both byte orders, Fortran order and header versions 1–3', () => {
    const dtypes = new Set(readable.map(([, e]) => e.dtype));
    expect([...dtypes].sort()).toEqual(['bool', 'float16', 'float32', 'float64', 'int16', 'int32', 'int64', 'int8', 'uint16', 'uint32', 'uint64', 'uint8']);
    const infos = readable.map(([n]) => readNpyInfo(fileSource(fixture('npy', n))));
    expect(infos.filter((i) => !i.littleEndian).length).toBeGreaterThanOrEqual(9);
    expect(new Set(infos.map((i) => i.version))).toEqual(new Set(['1.0', '2.0', '3.0']));
    expect(infos.some((i) => i.fortranOrder && !i.littleEndian)).toBe(true);
  });

  it('reads the same from memory as from a file', () => {
    const bytes = fs.readFileSync(fixture('npy', 'float32_fortran.npy'));
    expectTensor(readNpy(bytesSource('mem.npy', bytes)), npy['float32_fortran.npy']!);
  });
});

describe('readNpyRows', () => {
  const cases: [string, number, number][] = [
    ['float32.npy', 1, 3],
    ['float64_be.npy', 0, 2],
    ['int64.npy', 2, 3],
    ['float32_fortran.npy', 1, 2],
    ['float64_fortran_be.npy', 1, 4],
    ['uint8_fortran_4d.npy', 1, 2],
    ['int16_fortran.npy', 0, 2],
    ['vector.npy', 3, 7],
    ['float16.npy', 0, 0],
    ['empty.npy', 0, 0],
  ];
  it.each(cases)('%s rows [%i, %i)', (name, start, end) => {
    const t = readNpyRows(fileSource(fixture('npy', name)), start, end);
    expectTensor(t, expectedRows(npy[name]!, start, end));
  });

  it('reads only the bytes of the rows asked for (C order)', () => {
    const inner = fileSource(fixture('npy', 'float64.npy'));
    const reads: [number, number][] = [];
    const spy = { name: inner.name, size: inner.size, read: (o: number, n: number) => (reads.push([o, n]), inner.read(o, n)) };
    const info = readNpyInfo(spy);
    reads.length = 0;
    readNpyRows(spy, 2, 3, info);
    expect(reads).toEqual([[info.dataOffset + 2 * 4 * 8, 4 * 8]]);
  });

  it('rejects ranges outside the array and 0-d arrays', () => {
    const src = fileSource(fixture('npy', 'float32.npy'));
    expectKrsError(() => readNpyRows(src, 2, 4), 'BAD_OPTION', 'float32.npy', '[2, 4)', '3 rows');
    expectKrsError(() => readNpyRows(src, -1, 1), 'BAD_OPTION');
    expectKrsError(() => readNpyRows(src, 2, 1), 'BAD_OPTION');
    expectKrsError(() => readNpyRows(src, 0.5, 1), 'BAD_OPTION');
    expectKrsError(() => readNpyRows(fileSource(fixture('npy', 'scalar.npy')), 0, 1), 'SHAPE_MISMATCH', 'scalar.npy');
  });

  it('gathers Fortran-order row ranges (small arrays: one read, then gather)', () => {
    const n = 300;
    const cols = 7;
    const data = new Uint8Array(n * cols);
    for (let c = 0; c < cols; c++) for (let r = 0; r < n; r++) data[c * n + r] = (r * 7 + c * 13) & 0xff;
    const bytes = npyBytes('|u1', [n, cols], data, true);
    const t = readNpyRows(bytesSource('f.npy', bytes), 100, 103);
    expect([...t.shape]).toEqual([3, cols]);
    for (let r = 0; r < 3; r++) for (let c = 0; c < cols; c++) expect(t.data[r * cols + c]).toBe(((r + 100) * 7 + c * 13) & 0xff);
  });
});

describe('fortranToC', () => {
  it('transposes a 2×3 column-major buffer', () => {
    // [[1, 2, 3], [4, 5, 6]] stored column-major is 1 4 2 5 3 6
    expect([...fortranToC(new Int32Array([1, 4, 2, 5, 3, 6]), [2, 3])]).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe('parsePyLiteral', () => {
  it('parses npy headers, including legacy forms', () => {
    expect(parsePyLiteral("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }")).toEqual({
      descr: '<f4',
      fortran_order: false,
      shape: [3, 4],
    });
    expect(parsePyLiteral('{"descr": "|b1", "fortran_order": True, "shape": (5L,)}')).toEqual({
      descr: '|b1',
      fortran_order: true,
      shape: [5],
    });
    expect(parsePyLiteral("{'descr': [('a', '<f4'), ('b', '<i8')], 'shape': ()}")).toEqual({
      descr: [
        ['a', '<f4'],
        ['b', '<i8'],
      ],
      shape: [],
    });
    expect(() => parsePyLiteral("{'descr': '<f4'")).toThrow();
    expect(() => parsePyLiteral("{'a': 1} x")).toThrow();
  });
});
