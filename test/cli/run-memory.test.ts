/**
 * `krs score` prices the memory of the whole run from the declared shapes and refuses it,
 * before reading any array, when it is over `--memory-budget` (docs/formulas.md §"Memory budget
 * of a run"): captures whose headers declare huge shapes, written as sparse files (a header and
 * an ftruncate: gigabytes declared, nothing on the disk), must give one BAD_VALUE line naming
 * the run, the bytes and the budget — never a long read or an out-of-memory crash.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/rng.js';
import { krs } from '../helpers/cli.js';
import { npyBytes } from '../io/helpers.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'krs-run-memory-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Write `header` and extend the file sparsely to `total` bytes. */
function sparse(file: string, header: Uint8Array, total: number): void {
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, header, 0, header.length, 0);
    fs.ftruncateSync(fd, total);
  } finally {
    fs.closeSync(fd);
  }
}

type Arrays = Record<string, readonly number[]>;

/** A folder of float32 .npy files of these declared shapes (all zeros, sparse). */
function npyFolder(name: string, arrays: Arrays): string {
  const folder = path.join(dir, name);
  fs.mkdirSync(folder);
  for (const [key, shape] of Object.entries(arrays)) {
    const header = npyBytes('<f4', shape, new Uint8Array(0));
    sparse(path.join(folder, `${key}.npy`), header, header.length + 4 * shape.reduce((a, b) => a * b, 1));
  }
  return folder;
}

/** A .safetensors file of float32 tensors of these declared shapes (all zeros, sparse). */
function safetensorsFile(name: string, arrays: Arrays): string {
  const entries: Record<string, unknown> = {};
  let offset = 0;
  for (const [key, shape] of Object.entries(arrays)) {
    const bytes = 4 * shape.reduce((a, b) => a * b, 1);
    entries[key] = { dtype: 'F32', shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(entries));
  const header = new Uint8Array(8 + json.length);
  new DataView(header.buffer).setBigUint64(0, BigInt(json.length), true);
  header.set(json, 8);
  const file = path.join(dir, `${name}.safetensors`);
  sparse(file, header, header.length + offset);
  return file;
}

async function refusal(...args: string[]): Promise<string> {
  const r = await krs('score', '--task', 'classification', '--backend', 'typescript', ...args);
  expect(r.stdout).toBe('');
  expect(r.status, r.stderr).toBe(3);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  return lines[0]!;
}

describe('a run over the memory budget is refused before anything is read', () => {
  it('2·10⁹ declared rows (.npy): the null level would read the student whole — refused at once, not streamed for hours', async () => {
    const arrays = { h: [2_000_000_000, 1], logits: [2_000_000_000, 2] };
    const line = await refusal('--teacher', npyFolder('rows-t', arrays), '--student', npyFolder('rows-s', arrays));
    expect(line).toMatch(/scoring .*rows-s against .*rows-t \(2000000000 samples, 1 layer pair, with the null level\) needs about \d+ MiB of memory/);
    expect(line).toMatch(/student array 'logits' read whole 15259 MiB/);
    expect(line).toMatch(/more than the memory budget 4096 MiB: raise --memory-budget/);
  });

  it('2·10⁹ declared rows (.safetensors), the same', async () => {
    const arrays = { h: [2_000_000_000, 1], logits: [2_000_000_000, 2] };
    const line = await refusal('--teacher', safetensorsFile('rows-t', arrays), '--student', safetensorsFile('rows-s', arrays));
    expect(line).toMatch(/\(2000000000 samples, 1 layer pair, with the null level\)/);
    expect(line).toMatch(/the null level's permutation 7629 MiB/);
  });

  it('two arrays each under the per-array limit, 7.2 GB together: the total is bounded, with or without the null level', async () => {
    // conv: 1000 × 1 × 900 000 float32 (3.6 GB), pooled to width 1; logits: 1000 × 900 000 (3.6 GB).
    const arrays = { conv: [1000, 1, 900_000], logits: [1000, 900_000] };
    const t = npyFolder('two-t', arrays);
    const s = npyFolder('two-s', arrays);
    const withNull = await refusal('--teacher', t, '--student', s, '--pool', 'gap');
    expect(withNull).toMatch(/student array 'conv' read whole 3433 MiB/);
    expect(withNull).toMatch(/student array 'logits' read whole 3433 MiB/);
    // Without it, a batch of 256 rows of every array (8 bytes a value) is still 7.2 GB.
    const noNull = await refusal('--teacher', t, '--student', s, '--pool', 'gap', '--no-null');
    expect(noNull).toMatch(/\(1000 samples, 1 layer pair\) needs about \d+ MiB of memory \(largest: one batch of 256 rows 7031 MiB/);
  });

  it('4 GB of declared rows for exact CKA: refused up front, naming the layer pair, both routes and the budget', async () => {
    const arrays = { h: [1000, 1_000_000], logits: [1000, 10] };
    const line = await refusal('--teacher', npyFolder('wide-t', arrays), '--student', npyFolder('wide-s', arrays), '--no-null');
    expect(line).toMatch(/exact CKA of layer pair 'h':'h' \(widths 1000000 and 1000000, 1000 samples\)/);
    expect(line).toMatch(/22888 MiB of stored rows/);
    expect(line).toMatch(/memory budget 4096 MiB/);
  });

  it('a sample-space pair that fits alone, but not with the null level (its second copy of the rows and the student read whole)', async () => {
    // 2000 × 200 000 float32 a side: the rows 3052 MiB per metric; the Gram pass 6135 MiB (centred
    // copy 8·n·(p + q) = 6104 MiB, its sums and blocks); the pair alone fits 12000 MiB.
    const arrays = { h: [2000, 200_000], logits: [2000, 10] };
    const t = npyFolder('ss-t', arrays);
    const s = npyFolder('ss-s', arrays);
    const line = await refusal('--teacher', t, '--student', s, '--memory-budget', '12000');
    expect(line).toMatch(/needs about 1[3-9]\d{3} MiB of memory/);
    expect(line).toMatch(/layer pair 'h':'h' \(widths 200000 and 200000\) stored rows 6104 MiB/);
    expect(line).toMatch(/the Gram pass of layer pair 'h':'h' \(widths 200000 and 200000\) 6135 MiB/);
    expect(line).toMatch(/more than the memory budget 12000 MiB/);
  });

  it('float64 rows count 8 bytes, and the null level does not decide whether a run fits', async () => {
    // 200 samples of width 1000 a side, float64: the sample-space route's rows and centred copy
    // take 6.1 MiB (priced at 4 bytes a value they were 3.1 MiB and passed a 5 MiB budget, and
    // then only the null level's single group was held to it: --no-null ran, the default failed).
    const rng = createRng(3, 'run-memory-f64');
    const folder = (name: string, shift: number) => {
      const f = path.join(dir, name);
      fs.mkdirSync(f);
      const h = Float64Array.from({ length: 200 * 1000 }, (_, i) => Math.sin(i * 0.37 + shift) + rng.next());
      const logits = Float64Array.from({ length: 200 * 3 }, () => rng.next());
      fs.writeFileSync(path.join(f, 'h.npy'), npyBytes('<f8', [200, 1000], new Uint8Array(h.buffer)));
      fs.writeFileSync(path.join(f, 'logits.npy'), npyBytes('<f8', [200, 3], new Uint8Array(logits.buffer)));
      return f;
    };
    const t = folder('f64-t', 0);
    const s = folder('f64-s', 0.1);
    for (const extra of [[], ['--no-null']]) {
      const line = await refusal('--teacher', t, '--student', s, '--memory-budget', '5', ...extra);
      expect(line).toMatch(/exact CKA of layer pair 'h':'h' \(widths 1000 and 1000, 200 samples\) is .* or 6 MiB of stored rows/);
      expect(line).toMatch(/memory budget 5 MiB/);
    }
    for (const extra of [[], ['--no-null']]) {
      const r = await krs('score', '--task', 'classification', '--backend', 'typescript', '--teacher', t, '--student', s, '--memory-budget', '20', ...extra);
      expect(r.status, r.stderr).toBe(0);
    }
  });
});
