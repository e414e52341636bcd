/**
 * Column sums added row after row, four rows per pass: the same float64 additions in the same
 * order as a row-by-row loop, so the same bits (the row store's means and the sharded Gram
 * pass's means must agree bit for bit), for any row count.
 */
import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/rng.js';
import { addColumnSumsInOrder } from '../../src/linalg/vector.js';

describe('addColumnSumsInOrder', () => {
  it.each([0, 1, 3, 4, 5, 11, 64])('%i rows: bit for bit the row-by-row sums, added to what is there', (rows) => {
    const cols = 7;
    const rng = createRng(rows + 1, 'column-sums');
    // Values of very different sizes, so a different order of additions would change the bits.
    const data = Float64Array.from({ length: rows * cols }, () => (rng.next() - 0.5) * 10 ** Math.floor(rng.next() * 12));
    const start = Float64Array.from({ length: cols }, (_, j) => j * 1e-3);
    const want = Float64Array.from(start);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) want[j] += data[i * cols + j]!;
    const got = Float64Array.from(start);
    addColumnSumsInOrder(got, data, rows, cols);
    expect(Array.from(got)).toEqual(Array.from(want));
    const f32 = Float32Array.from(data);
    const want32 = Float64Array.from(start);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) want32[j] += f32[i * cols + j]!;
    const got32 = Float64Array.from(start);
    addColumnSumsInOrder(got32, f32, rows, cols);
    expect(Array.from(got32)).toEqual(Array.from(want32));
  });
});
