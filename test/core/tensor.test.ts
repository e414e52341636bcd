import { describe, expect, it } from 'vitest';
import { asTensor, tensor } from '../../src/core/tensor.js';
import { expectKrsError } from '../helpers/fixtures.js';

const WHAT = "teacher layer 'fc'";

describe('asTensor', () => {
  it('reads the shape of nested arrays of any depth, as float64 in row-major order', () => {
    expect(asTensor([1, 2, 3], WHAT)).toEqual({ dtype: 'float64', shape: [3], data: Float64Array.from([1, 2, 3]) });
    const m = asTensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      WHAT,
    );
    expect(m.shape).toEqual([2, 3]);
    expect([...m.data]).toEqual([1, 2, 3, 4, 5, 6]);
    const t = asTensor(
      [
        [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
        [
          [7, 8],
          [9, 10],
          [11, 12],
        ],
      ],
      WHAT,
    );
    expect(t.shape).toEqual([2, 3, 2]);
    expect(t.dtype).toBe('float64');
    expect([...t.data]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    // Four levels deep.
    expect(asTensor([[[[1]], [[2]]]], WHAT).shape).toEqual([1, 2, 1, 1]);
  });

  it('keeps NaN and ±Infinity (finiteness is checked by the metrics)', () => {
    const t = asTensor([[Number.NaN, Number.POSITIVE_INFINITY, -1]], WHAT);
    expect([...t.data]).toEqual([Number.NaN, Number.POSITIVE_INFINITY, -1]);
  });

  it('accepts rows that are typed arrays', () => {
    const t = asTensor([Float32Array.from([1, 2]), Float32Array.from([3, 4])], WHAT);
    expect(t.shape).toEqual([2, 2]);
    expect(t.dtype).toBe('float64');
    expect([...t.data]).toEqual([1, 2, 3, 4]);
  });

  it('returns a Tensor as it is and wraps a typed array as 1-D (no copy)', () => {
    const x = tensor(new Float32Array(6), [2, 3]);
    expect(asTensor(x, WHAT)).toBe(x);
    const ids = BigInt64Array.from([5n, 7n]);
    const v = asTensor(ids, WHAT);
    expect(v).toEqual({ dtype: 'int64', shape: [2], data: ids });
    expect(v.data).toBe(ids);
  });

  it('ragged rows: names the position and both lengths', async () => {
    const rows = [
      [1, 2, 3, 4, 5],
      [1, 2, 3, 4, 5],
      [1, 2, 3, 4, 5],
      [1, 2, 3, 4],
    ];
    await expectKrsError(() => asTensor(rows, WHAT), 'SHAPE_MISMATCH', /^teacher layer 'fc' row 3: expected 5 values \(as the first has\), got 4$/);
    await expectKrsError(
      () =>
        asTensor(
          [
            [[1], [2]],
            [[3], [4, 5]],
          ],
          WHAT,
        ),
      'SHAPE_MISMATCH',
      /element \[1\]\[1\]: expected 1 values .*got 2/,
    );
    await expectKrsError(() => asTensor([[[1]], [[2]], [[3], [4]]], WHAT), 'SHAPE_MISMATCH', /row 2: expected 1 arrays .*got 2/);
    await expectKrsError(() => asTensor([Float32Array.from([1, 2]), Float32Array.from([3])], WHAT), 'SHAPE_MISMATCH', /row 1: expected 2 values/);
  });

  it('mixed depth: a number where a row is expected, or a row where a number is', async () => {
    await expectKrsError(() => asTensor([[1, 2], 3], WHAT), 'BAD_VALUE', /row 1 is "number 3": expected an array of 2 numbers/);
    await expectKrsError(
      () =>
        asTensor(
          [
            [1, 2],
            [3, [4]],
          ],
          WHAT,
        ),
      'BAD_VALUE',
      /element \[1\]\[1\] is "an array of 1": expected a number/,
    );
  });

  it('non-numbers: strings, null, booleans, bigints, objects', async () => {
    await expectKrsError(() => asTensor([[1, 'a']], WHAT), 'BAD_VALUE', /^teacher layer 'fc' element \[0\]\[1\] is "the string 'a'": expected a number$/);
    await expectKrsError(() => asTensor([1, null], WHAT), 'BAD_VALUE', /row 1 is "null"/);
    await expectKrsError(() => asTensor([true], WHAT), 'BAD_VALUE', /row 0 is "boolean true"/);
    await expectKrsError(() => asTensor([1n], WHAT), 'BAD_VALUE', /bigint 1/);
    await expectKrsError(() => asTensor([{}], WHAT), 'BAD_VALUE', /an object \(Object\)/);
  });

  it('not an array at all', async () => {
    await expectKrsError(
      () => asTensor(3, WHAT),
      'BAD_VALUE',
      /^teacher layer 'fc' is "number 3": expected a Tensor, a typed array, or rectangular nested arrays of numbers$/,
    );
    await expectKrsError(() => asTensor('1,2', WHAT), 'BAD_VALUE', /the string '1,2'/);
    await expectKrsError(() => asTensor(undefined, WHAT), 'BAD_VALUE', /is "undefined"/);
    await expectKrsError(() => asTensor({ shape: [1], data: [1] }, WHAT), 'BAD_VALUE', /an object/);
    await expectKrsError(() => asTensor(new DataView(new ArrayBuffer(8)), WHAT), 'BAD_VALUE', /DataView/);
  });

  it('empty: no values on some axis', async () => {
    await expectKrsError(() => asTensor([], WHAT), 'SHAPE_MISMATCH', /at least one value on every axis, got shape \[0\]/);
    await expectKrsError(() => asTensor([[], []], WHAT), 'SHAPE_MISMATCH', /shape \[2, 0\]/);
    await expectKrsError(() => asTensor(new Float64Array(0), WHAT), 'SHAPE_MISMATCH', /empty typed array/);
  });

  it('a Tensor whose shape and data disagree', async () => {
    await expectKrsError(
      () => asTensor({ dtype: 'float64', shape: [2, 3], data: new Float64Array(5) }, WHAT),
      'SHAPE_MISMATCH',
      /^teacher layer 'fc': expected 6 values for shape \[2, 3\], got 5 in its data$/,
    );
    await expectKrsError(() => asTensor({ dtype: 'float64', shape: [-1], data: new Float64Array(1) }, WHAT), 'BAD_VALUE', /shape/);
  });
});
