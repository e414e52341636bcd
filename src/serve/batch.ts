/**
 * A posted batch, from JSON or from an .npz / .safetensors body (docs/service.md §"Batches").
 *
 * JSON: `{ teacher: {layer: array}, student: {layer: array}, teacherOutput, studentOutput,
 * outputMask?, inputs?: {name: array}, step?, time? }`, where an array is nested JSON arrays
 * of numbers or `{ shape: [...], data: [flat numbers] }`.
 *
 * Binary (`application/octet-stream`, `application/x-npz` or `application/x-safetensors`;
 * the format is told from the first bytes): arrays named `teacher.<layer>`,
 * `student.<layer>`, `teacher_output`, `student_output`, `output_mask` and `input.<name>`;
 * step and time come from the query string.
 */
import { errors } from '../core/errors.js';
import { asTensor, sizeOf, type Tensor } from '../core/tensor.js';
import type { LimitOptions } from '../io/limits.js';
import { openCaptureSource } from '../io/open.js';
import { bytesSource } from '../io/source.js';
import type { KrsBatch } from '../krs/metric.js';

export type ParsedBatch = KrsBatch & { inputs?: Record<string, Tensor> };

function jsonArray(v: unknown, what: string): Tensor {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as { shape?: unknown; data?: unknown };
    if (!Array.isArray(o.shape) || !Array.isArray(o.data)) throw errors.badValue(what, 'an object', 'nested arrays of numbers or {shape, data}');
    const shape = o.shape as number[];
    if (!shape.every((d) => Number.isInteger(d) && d >= 0)) throw errors.badValue(`${what} shape`, JSON.stringify(shape), 'non-negative integer dimensions');
    if (sizeOf(shape) !== o.data.length)
      throw errors.shapeMismatch(what, `${sizeOf(shape)} values for shape [${shape.join(', ')}]`, `${o.data.length} in its data`);
    const data = new Float64Array(o.data.length);
    for (let i = 0; i < data.length; i++) {
      const x = o.data[i];
      if (typeof x !== 'number') throw errors.badValue(`${what} data[${i}]`, JSON.stringify(x) ?? String(x), 'a number');
      data[i] = x;
    }
    return asTensor({ dtype: 'float64', shape, data }, what);
  }
  return asTensor(v, what);
}

function jsonArrays(v: unknown, what: string): Record<string, Tensor> {
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw errors.badValue(what, Array.isArray(v) ? 'an array' : String(v), 'an object of named arrays');
  return Object.fromEntries(Object.entries(v).map(([k, a]) => [k, jsonArray(a, `${what} '${k}'`)]));
}

/** @throws KrsError BAD_VALUE / SHAPE_MISMATCH naming the field. */
export function batchFromJson(body: unknown): ParsedBatch {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw errors.badValue('batch', Array.isArray(body) ? 'an array' : String(body), 'a JSON object');
  const b = body as Record<string, unknown>;
  const known = new Set(['teacher', 'student', 'teacherOutput', 'studentOutput', 'outputMask', 'inputs', 'step', 'time']);
  const extra = Object.keys(b).find((k) => !known.has(k));
  if (extra) throw errors.badValue('batch field', extra, [...known].join(', '));
  const out: ParsedBatch = { teacher: jsonArrays(b.teacher, 'teacher layer'), student: jsonArrays(b.student, 'student layer') };
  if (b.teacherOutput !== undefined) out.teacherOutput = jsonArray(b.teacherOutput, 'teacher outputs');
  if (b.studentOutput !== undefined) out.studentOutput = jsonArray(b.studentOutput, 'student outputs');
  if (b.outputMask !== undefined) out.outputMask = jsonArray(b.outputMask, 'output mask');
  if (b.inputs !== undefined) out.inputs = jsonArrays(b.inputs, 'input');
  return out;
}

/** @throws KrsError BAD_FILE for a body that is neither an .npz nor a .safetensors file, BAD_VALUE for an array of another name. */
export function batchFromBytes(bytes: Uint8Array, limits: LimitOptions = {}): ParsedBatch {
  const cap = openCaptureSource(bytesSource('the posted body', bytes), undefined, { limits });
  const out: ParsedBatch = { teacher: {}, student: {} };
  const teacher: Record<string, Tensor> = {};
  const student: Record<string, Tensor> = {};
  const inputs: Record<string, Tensor> = {};
  for (const key of cap.keys()) {
    const t = cap.read(key);
    if (key === 'teacher_output') out.teacherOutput = t;
    else if (key === 'student_output') out.studentOutput = t;
    else if (key === 'output_mask') out.outputMask = t;
    else if (key.startsWith('teacher.') && key.length > 8) teacher[key.slice(8)] = t;
    else if (key.startsWith('student.') && key.length > 8) student[key.slice(8)] = t;
    else if (key.startsWith('input.') && key.length > 6) inputs[key.slice(6)] = t;
    else
      throw errors.badValue(
        'array name in the posted body',
        key,
        'teacher.<layer>, student.<layer>, teacher_output, student_output, output_mask or input.<name>',
      );
  }
  out.teacher = teacher;
  out.student = student;
  if (Object.keys(inputs).length) out.inputs = inputs;
  return out;
}
