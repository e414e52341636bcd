/**
 * The teacher models a run may name (`krs serve --models DIR`): an `.onnx` file inside DIR,
 * where "inside" is decided after resolving symbolic links — a link in DIR that points
 * elsewhere is refused, as is `..`. Checked when the run is created and again when its teacher
 * starts (the link may have changed since).
 */
import { existsSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { errors } from '../core/errors.js';
import { httpErrors } from './http-error.js';

/**
 * The model's path: relative to `dir` (to store), or absolute (`absolute`, to open).
 * @throws HttpError 400 when the server has no models folder; KrsError BAD_OPTION for a name outside it or missing.
 */
export function confinedModel(dir: string | undefined, name: unknown, absolute = false): string {
  if (!dir) throw httpErrors.badRequest('teacherModel: this server runs no teachers (start it with --models DIR)', 'BAD_OPTION');
  if (typeof name !== 'string' || !name.endsWith('.onnx') || name.length > 500 || name.includes('\0'))
    throw errors.badOption('teacherModel', name, "an .onnx file in the server's models folder");
  const root = realpathSync(resolve(dir));
  const file = resolve(root, name);
  if (!existsSync(file)) throw errors.badOption('teacherModel', name, `an .onnx file in the server's models folder (${name} is not there)`);
  const real = realpathSync(file);
  const rel = relative(root, real);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel))
    throw errors.badOption('teacherModel', name, "a file inside the server's models folder (links out of it are refused)");
  return absolute ? real : relative(root, file);
}
