/**
 * Property tests over the readers: arbitrary byte edits and truncations of valid npy, npz,
 * safetensors, PNG, COCO-results and experiments-table files never throw anything but a
 * one-line KrsError, never take long, and never hand back an array larger than the limits
 * they ran under (SMALL_LIMITS: 1 MiB arrays, 65 536 pixels). What they do return is
 * consistent: a tensor's data length is the product of its shape.
 */
import fc from 'fast-check';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { parseExperimentsJson } from '../../src/analysis/experiments.js';
import { parseExperimentsCsv } from '../../src/analysis/node-experiments.js';
import type { Tensor } from '../../src/core/tensor.js';
import { parseCocoResults } from '../../src/io/coco.js';
import { decodeLabelMap } from '../../src/io/label-map.js';
import { type CaptureFormat, openCaptureSource } from '../../src/io/open.js';
import { bytesSource } from '../../src/io/source.js';
import { npyBytes } from '../io/helpers.js';
import { krsOrValue, mutate, mutations, params, pngBytes, SMALL_LIMITS } from './helpers.js';

const f32 = (n: number) => new Uint8Array(new Float32Array(Array.from({ length: n }, (_, i) => Math.sin(i) * 10)).buffer);

/** Check a tensor a reader returned: within the limit, its data as long as its shape says. */
function sane(t: Tensor): void {
  expect(t.data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
  expect(t.data.byteLength).toBeLessThanOrEqual(SMALL_LIMITS.maxArrayBytes);
}

/** Open, list, read whole, read the first and last rows and the ids of every key. */
function exercise(bytes: Uint8Array, name: string, format?: CaptureFormat): void {
  const c = krsOrValue(() => openCaptureSource(bytesSource(name, bytes), format, { limits: SMALL_LIMITS }));
  if (!c) return;
  const keys = krsOrValue(() => c.keys()) ?? [];
  for (const k of keys) {
    const info = krsOrValue(() => c.info(k));
    const whole = krsOrValue(() => c.read(k));
    if (whole) sane(whole);
    if (info && info.shape.length > 0 && info.shape[0]! > 0) {
      const n = info.shape[0]!;
      const first = krsOrValue(() => c.readRows(k, 0, 1));
      if (first) sane(first);
      const last = krsOrValue(() => c.readRows(k, n - 1, n));
      if (last) sane(last);
    }
    krsOrValue(() => c.readIds(k));
  }
}

const NPY = [
  npyBytes('<f4', [6, 5], f32(30)),
  npyBytes('>f8', [3, 2], new Uint8Array(48).fill(0x3f)),
  npyBytes('<i2', [4, 3], f32(6), true),
  npyBytes('|u1', [16], new Uint8Array(16).fill(7)),
];
const NPZ = [
  zipSync({ 'a.npy': [NPY[0]!, { level: 0 }], 'b.npy': [NPY[2]!, { level: 6 }], 'ids.npy': [npyBytes('<i8', [6], new Uint8Array(48)), { level: 0 }] }),
  zipSync({ 'logits.npy': [npyBytes('<f4', [64, 10], f32(640)), { level: 9 }] }),
];

function safetensors(): Uint8Array {
  const header = JSON.stringify({
    a: { dtype: 'F32', shape: [4, 2], data_offsets: [0, 32] },
    b: { dtype: 'BF16', shape: [2, 2], data_offsets: [32, 40] },
    c: { dtype: 'I64', shape: [3], data_offsets: [40, 64] },
    __metadata__: { format: 'pt' },
  });
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + h.length + 64);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(f32(16), 8 + h.length);
  return out;
}
const SAFETENSORS = safetensors();

function palettePng(interlaced: boolean): Uint8Array {
  const w = 9;
  const h = 7;
  const raw = new Uint8Array(h * (w + 1));
  for (let y = 0; y < h; y++) {
    raw[y * (w + 1)] = y % 5; // every filter type
    for (let x = 0; x < w; x++) raw[y * (w + 1) + 1 + x] = (x * 3 + y) % 4;
  }
  const b = pngBytes(w, h, 8, 3, raw, new Uint8Array(12).fill(200));
  if (interlaced) b[8 + 8 + 12] = 1; // IHDR interlace byte (the CRC now fails: also a case)
  return b;
}
const PNGS = [palettePng(false), palettePng(true), pngBytes(4, 4, 16, 0, new Uint8Array(4 * 9))];

describe('fuzz: capture readers', () => {
  it('npy: edits and truncations give a value or a KrsError', () => {
    fc.assert(
      fc.property(fc.constantFrom(...NPY.keys()), mutations, (i, edits) => exercise(mutate(NPY[i]!, edits), 'x.npy', 'npy')),
      params(300),
    );
  });

  it('npz and zip: edits of the directory, headers and (deflated) data', () => {
    fc.assert(
      fc.property(fc.constantFrom(...NPZ.keys()), mutations, (i, edits) => exercise(mutate(NPZ[i]!, edits), 'x.npz', 'npz')),
      params(300),
    );
  });

  it("npz: any edit of an entry's data is caught by its CRC (or its size), never read as numbers", () => {
    const base = NPZ[0]!;
    const values = new Map(['a', 'b', 'ids'].map((k) => [k, openCaptureSource(bytesSource('x.npz', base), 'npz').read(k).data]));
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), (at, xor) => {
        const b = base.slice();
        b[at % b.length]! ^= xor;
        const c = krsOrValue(() => openCaptureSource(bytesSource('x.npz', b), 'npz'));
        if (!c) return;
        for (const k of krsOrValue(() => c.keys()) ?? []) {
          const t = krsOrValue(() => c.read(k));
          const want = values.get(k);
          if (t && want)
            expect(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).equals(Buffer.from(want.buffer, want.byteOffset, want.byteLength))).toBe(
              true,
            );
        }
      }),
      params(300),
    );
  });

  it('safetensors: edits of the length, the JSON header and the buffer', () => {
    fc.assert(
      fc.property(mutations, (edits) => exercise(mutate(SAFETENSORS, edits), 'x.safetensors', 'safetensors')),
      params(300),
    );
  });

  it('safetensors: any JSON object as the header', () => {
    const entry = fc.record(
      {
        dtype: fc.oneof(fc.constantFrom('F32', 'F16', 'BF16', 'I64', 'U8', 'BOOL', 'F8_E4M3', 'C64'), fc.jsonValue()),
        shape: fc.oneof(fc.array(fc.integer({ min: -2, max: 1 << 20 }), { maxLength: 4 }), fc.jsonValue()),
        data_offsets: fc.oneof(fc.tuple(fc.integer({ min: -1, max: 80 }), fc.integer({ min: -1, max: 80 })), fc.jsonValue()),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(entry, fc.jsonValue()), { maxKeys: 5 }), (header) => {
        const h = new TextEncoder().encode(JSON.stringify(header));
        const b = new Uint8Array(8 + h.length + 64);
        new DataView(b.buffer).setBigUint64(0, BigInt(h.length), true);
        b.set(h, 8);
        exercise(b, 'x.safetensors', 'safetensors');
      }),
      params(300),
    );
  });

  it('format detection: any bytes under any name', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom('x', 'x.npy', 'x.npz', 'x.safetensors', 'x.bin'), (bytes, name) => exercise(bytes, name)),
      params(300),
    );
  });
});

describe('fuzz: PNG label maps', () => {
  it('edits and truncations of palette, interlaced and 16-bit PNGs', () => {
    fc.assert(
      fc.property(fc.constantFrom(...PNGS.keys()), mutations, (i, edits) => {
        const t = krsOrValue(() => decodeLabelMap(mutate(PNGS[i]!, edits), 'x.png', SMALL_LIMITS));
        if (t) {
          sane(t);
          expect(t.shape[0]! * t.shape[1]!).toBeLessThanOrEqual(SMALL_LIMITS.maxImagePixels);
        }
      }),
      params(300),
    );
  });

  it('headers declaring any size, with valid CRCs, are refused before inflating when too large', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.constantFrom(1, 2, 4, 8, 16),
        fc.constantFrom(0, 3),
        (w, h, depth, type) => {
          const b = pngBytes(w, h, depth, type, new Uint8Array(64), type === 3 ? new Uint8Array(6) : undefined);
          const t = krsOrValue(() => decodeLabelMap(b, 'x.png', SMALL_LIMITS));
          if (t) sane(t);
        },
      ),
      params(200),
    );
  });
});

describe('fuzz: text formats', () => {
  const COCO = JSON.stringify([
    { image_id: 1, category_id: 2, bbox: [0, 0, 4, 3], score: 0.9 },
    { image_id: 'b', category_id: 1, bbox: [1.5, 2, 0, 7], score: -3 },
  ]);
  const editText = (text: string) =>
    fc.array(fc.tuple(fc.nat(), fc.nat({ max: 3 }), fc.string({ maxLength: 4 })), { minLength: 1, maxLength: 4 }).map((edits) => {
      let s = text;
      for (const [at, del, ins] of edits) {
        const p = at % (s.length + 1);
        s = s.slice(0, p) + ins + s.slice(p + del);
      }
      return s;
    });

  it('COCO results: edited text, and any JSON, give detections with finite numbers or a KrsError', () => {
    fc.assert(
      fc.property(fc.oneof(editText(COCO), fc.json(), fc.string()), (text) => {
        const d = krsOrValue(() => parseCocoResults(text, 'd.json'));
        for (const x of d ?? []) {
          expect(typeof x.imageId).toBe('string');
          for (const v of [x.categoryId, x.score, ...x.bbox]) expect(Number.isFinite(v)).toBe(true);
          expect(x.bbox[2]).toBeGreaterThanOrEqual(0);
          expect(x.bbox[3]).toBeGreaterThanOrEqual(0);
        }
      }),
      params(400),
    );
  });

  const CSV = [
    'id,task,dataset,teacher,student,method,fss_pre,aoa_pre,fss_post,aoa_post,metric_pre,metric_post,metric,alpha,delta_fss,delta_aoa',
    'e1,classification,d,t,s,KD,20,30,40,50,60,61,accuracy,0.3,,',
    'e2,regression,d,t,s,FitNet,,,,,,,rmse,,5,-2',
    '"e,3",nlp,d,t,s,"Vanilla ""KD""",10,10,12,11,1.5,1.2,loss,,,',
  ].join('\n');

  it('experiments CSV and JSON: edited text gives a table of finite components or a KrsError', () => {
    fc.assert(
      fc.property(fc.oneof(editText(CSV), fc.string()), (text) => {
        const t = krsOrValue(() => parseExperimentsCsv(text, 'e.csv'));
        for (const e of t?.experiments ?? []) {
          for (const v of [e.fssPre, e.aoaPre, e.fssPost, e.aoaPost]) if (v !== null) expect(v >= 0 && v <= 100).toBe(true);
          expect(Number.isFinite(e.deltaFss) && Number.isFinite(e.deltaAoa)).toBe(true);
        }
      }),
      params(300),
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify({ experiments: [v] })),
        ),
        (text) => {
          krsOrValue(() => parseExperimentsJson(text, 'e.json'));
        },
      ),
      params(300),
    );
  });
});
