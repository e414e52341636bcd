/**
 * The shard state file (`krs score|eval --state-out`, `krs merge`, the states of `krs serve`):
 * a safetensors file whose tensors are the float64 arrays of a JSON document and whose
 * `__metadata__` holds the rest.
 *
 *   header   {"a0": {"dtype": "F64", "shape": [k], "data_offsets": [b, e]}, …,
 *             "__metadata__": {"format": "krs-state", "version": "2", "document": "<JSON>",
 *                              "crc32": "<document CRC-32>:<arrays CRC-32>"}}
 *   buffer   the arrays' little-endian bytes, in order
 *
 * In the document every float64 array (what {@link encodeFloat64} makes: `{f64, length}`)
 * is replaced by `{"$array": "a<i>"}`, so the arrays are stored as bytes, bit for bit, and the
 * JSON stays small. Any safetensors reader opens the file (the arrays are ordinary F64
 * tensors). Two CRC-32s (hex) cover the whole payload: the first the tensor table (names,
 * dtypes, shapes, offsets) and the document's text, the second the arrays' bytes. Reading the
 * document checks the first, decoding the arrays the second, so a corrupt or edited file is
 * refused — it never merges into a changed result. Version 1 files
 * (no checksums, written by krs before 0.2) are refused with the reason.
 * Browser-safe: bytes in, bytes out; `node-state-file.ts` reads and writes files.
 */
import { errors } from '../core/errors.js';
import { type EncodedFloat64, FLOAT64_VALUES, float64Encoding } from '../core/serialize.js';
import { crc32 } from './crc32.js';
import { readSafetensorsHeader } from './safetensors.js';
import { bytesSource, readInto } from './source.js';

/** The `format` of the metadata. */
const STATE_FILE_FORMAT = 'krs-state';
/** Version of the file layout (the document carries its own version). */
const STATE_FILE_VERSION = 2;

const hex = (n: number) => n.toString(16).padStart(8, '0');
const utf8 = (text: string) => new TextEncoder().encode(text);

/**
 * A state file from its tensors' entries, its document text and its arrays' bytes (one buffer),
 * the header padded so the buffer starts 8-byte aligned (as the safetensors writers do).
 */
function writeStateFile(tensors: Record<string, unknown>, documentText: string, buffer: Uint8Array, arraysCrc: number): Uint8Array {
  const crc = `${hex(crc32(utf8(JSON.stringify(tensors) + documentText)))}:${hex(arraysCrc)}`;
  const header = { ...tensors, __metadata__: { format: STATE_FILE_FORMAT, version: String(STATE_FILE_VERSION), document: documentText, crc32: crc } };
  let text = JSON.stringify(header);
  text += ' '.repeat((8 - ((8 + utf8(text).length) % 8)) % 8);
  const head = utf8(text);
  const out = new Uint8Array(8 + head.length + buffer.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  out.set(buffer, 8 + head.length);
  return out;
}

/** Encode a JSON document (with float64 arrays as {@link EncodedFloat64}) as a state file. */
export function encodeStateFile(document: unknown): Uint8Array {
  const arrays: Uint8Array[] = [];
  const lifted = liftArrays(document, arrays);
  const tensors: Record<string, unknown> = {};
  let offset = 0;
  arrays.forEach((bytes, i) => {
    tensors[`a${i}`] = { dtype: 'F64', shape: [bytes.length / 8], data_offsets: [offset, offset + bytes.length] };
    offset += bytes.length;
  });
  const buffer = new Uint8Array(offset);
  let o = 0;
  for (const bytes of arrays) {
    buffer.set(bytes, o);
    o += bytes.length;
  }
  return writeStateFile(tensors, JSON.stringify(lifted), buffer, crc32(buffer));
}

/** The header of a krs state file, checked (format, version, the document's checksum): its tensors, document and the arrays' checksum. */
function stateFileHeader(bytes: Uint8Array, source: string): { header: ReturnType<typeof readSafetensorsHeader>; document: unknown; arraysCrc: string } {
  const header = readSafetensorsHeader(bytesSource(source, bytes));
  const meta = header.metadata;
  if (!meta || meta.format !== STATE_FILE_FORMAT) {
    throw errors.badValue(
      `state file ${source}`,
      meta?.format ?? 'no krs metadata',
      `a krs state file (__metadata__.format "${STATE_FILE_FORMAT}", written by --state-out)`,
    );
  }
  if (meta.version !== String(STATE_FILE_VERSION)) {
    const why =
      meta.version === '1'
        ? `${STATE_FILE_VERSION}: version 1 files have no checksums; write it again with this krs`
        : `${STATE_FILE_VERSION} (written by another krs version)`;
    throw errors.badValue(`version of state file ${source}`, meta.version ?? 'none', why);
  }
  const [docCrc, arraysCrc] = typeof meta.crc32 === 'string' ? meta.crc32.split(':') : [];
  if (typeof meta.document !== 'string' || !docCrc || !arraysCrc || hex(crc32(utf8(JSON.stringify(tensorTable(header)) + meta.document))) !== docCrc)
    throw errors.badValue(`document of state file ${source}`, 'a checksum that does not match', 'the document krs wrote: the file is corrupt or was edited');
  try {
    return { header, document: JSON.parse(meta.document), arraysCrc };
  } catch {
    throw errors.badValue(`document of state file ${source}`, 'unparseable JSON', 'the JSON document krs wrote');
  }
}

/** A state file read as far as its header: its tensors and its document with arrays as `{$array: name}` (nothing decoded). */
export interface StateFileParts {
  readonly header: ReturnType<typeof readSafetensorsHeader>;
  readonly document: unknown;
  /** The arrays' CRC-32 as recorded (hex; checked when the arrays are decoded). */
  readonly arraysCrc: string;
}

/**
 * A state file's header and document as stored, its arrays left in the file as
 * `{$array: "a<i>"}` references: what a reader of the document's structure needs.
 * @throws BAD_VALUE as {@link decodeStateFile}.
 */
export function stateFileParts(bytes: Uint8Array, source: string): StateFileParts {
  return stateFileHeader(bytes, source);
}

/** The document of {@link stateFileParts}. */
export function stateFileDocument(bytes: Uint8Array, source: string): unknown {
  return stateFileHeader(bytes, source).document;
}

/**
 * The same state file with another document (one whose `{$array}` references name the file's
 * arrays: the parts' document changed in structure only). The arrays' bytes are copied as they
 * are.
 */
export function withStateFileDocument(bytes: Uint8Array, parts: StateFileParts, document: unknown): Uint8Array {
  const { header } = parts;
  return writeStateFile(tensorTable(header), JSON.stringify(document), bytes.subarray(header.dataOffset), Number.parseInt(parts.arraysCrc, 16));
}

/** A header's tensor entries as the writer wrote them (offsets relative to the buffer), in order. */
function tensorTable(header: ReturnType<typeof readSafetensorsHeader>): Record<string, unknown> {
  const tensors: Record<string, unknown> = {};
  for (const [name, t] of header.tensors)
    tensors[name] = { dtype: t.stored, shape: t.shape, data_offsets: [t.begin - header.dataOffset, t.end - header.dataOffset] };
  return tensors;
}

/**
 * Decode a state file back into its document, each float64 array as an {@link EncodedFloat64}
 * again (what the states' `fromJSON` read).
 * @throws BAD_VALUE naming `source` for a file that is not a krs state file, or a broken one.
 */
export function decodeStateFile(bytes: Uint8Array, source: string): unknown {
  const { header, document, arraysCrc } = stateFileHeader(bytes, source);
  if (hex(crc32(bytes.subarray(header.dataOffset))) !== arraysCrc)
    throw errors.badValue(`arrays of state file ${source}`, 'a checksum that does not match', 'the bytes krs wrote: the file is corrupt or was edited');
  const source64 = bytesSource(source, bytes);
  return lowerArrays(document, (name) => {
    const entry = header.tensors.get(name);
    if (entry?.stored !== 'F64' || entry.shape.length !== 1)
      throw errors.badValue(
        `array '${name}' of state file ${source}`,
        entry ? `${entry.stored} ${JSON.stringify(entry.shape)}` : 'missing',
        'a 1-d F64 tensor',
      );
    const raw = new Uint8Array(entry.end - entry.begin);
    readInto(source64, entry.begin, raw);
    return float64Encoding(littleEndianFloat64(raw));
  });
}

/** Replace every {@link EncodedFloat64} in `value` by `{$array: name}`, collecting its bytes. */
function liftArrays(value: unknown, arrays: Uint8Array[]): unknown {
  if (Array.isArray(value)) return value.map((v) => liftArrays(v, arrays));
  if (value === null || typeof value !== 'object') return value;
  if (isEncoded(value)) {
    const values = value[FLOAT64_VALUES];
    arrays.push(values instanceof Float64Array ? float64Bytes(values) : base64ToBytes(value.f64));
    return { $array: `a${arrays.length - 1}` };
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = liftArrays(v, arrays);
  return out;
}

function lowerArrays(value: unknown, array: (name: string) => EncodedFloat64): unknown {
  if (Array.isArray(value)) return value.map((v) => lowerArrays(v, array));
  if (value === null || typeof value !== 'object') return value;
  const o = value as Record<string, unknown>;
  if (typeof o.$array === 'string' && Object.keys(o).length === 1) return array(o.$array);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[k] = lowerArrays(v, array);
  return out;
}

function isEncoded(v: object): v is EncodedFloat64 {
  if ((v as EncodedFloat64)[FLOAT64_VALUES] instanceof Float64Array) return true;
  const o = v as Record<string, unknown>;
  return typeof o.f64 === 'string' && typeof o.length === 'number' && Object.keys(o).length === 2;
}

/** The little-endian bytes of a float64 array. */
function float64Bytes(a: Float64Array): Uint8Array {
  const out = new Uint8Array(a.length * 8);
  if (LITTLE_ENDIAN) out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  else {
    const view = new DataView(out.buffer);
    for (let i = 0; i < a.length; i++) view.setFloat64(i * 8, a[i]!, true);
  }
  return out;
}

/** Float64 values from little-endian bytes. */
function littleEndianFloat64(bytes: Uint8Array): Float64Array {
  const out = new Float64Array(bytes.length / 8);
  if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(bytes);
  else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(i * 8, true);
  }
  return out;
}

const LITTLE_ENDIAN = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

function base64ToBytes(b64: string): Uint8Array {
  const binary = atob(b64);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
