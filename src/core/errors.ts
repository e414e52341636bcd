/**
 * The one error type of krs, and every message it can carry.
 *
 * Each failure has a `code`; the CLI maps the code's `kind` to an exit status
 * (usage → 2, data → 3, environment → 4, interrupted → 130, internal → 1) and prints the same payload with `--json`. Messages are one line and echo the offending file, layer, key,
 * shape or value, so a user can fix the input without reading a stack trace.
 */

/** What kind of mistake an error reports; decides the CLI exit status. */
export type ErrorKind = 'usage' | 'data' | 'environment' | 'interrupted' | 'internal';

/** Every error code krs raises, with its kind. */
export const ERROR_KINDS = {
  /** A command-line option or API argument is malformed or out of range. */
  BAD_OPTION: 'usage',
  /** α outside [0, 1], or α + β ≠ 1. */
  BAD_WEIGHT: 'usage',
  /** A named layer, output or id key is absent from a capture. */
  UNKNOWN_KEY: 'usage',
  /** A file does not exist or cannot be read. */
  FILE_NOT_FOUND: 'data',
  /** A file is truncated, corrupt, or not of the format its name claims. */
  BAD_FILE: 'data',
  /** A dtype that krs cannot read (complex, object, strings where numbers are needed…). */
  UNSUPPORTED_DTYPE: 'data',
  /** Array shapes that do not fit together (sample counts, widths, label-map sizes…). */
  SHAPE_MISMATCH: 'data',
  /** Teacher and student sample ids differ, repeat, or are in a different order. */
  ID_MISMATCH: 'data',
  /** NaN or ±Inf in an input array. */
  NON_FINITE: 'data',
  /** A value outside its domain (negative box width, label out of range, too few samples…). */
  BAD_VALUE: 'data',
  /** A quantity that is mathematically undefined for this input (e.g. CKA of a constant layer). */
  UNDEFINED: 'data',
  /** A file or folder krs must write is not writable: permission denied, read-only file system. */
  NOT_WRITABLE: 'environment',
  /** The disk (or quota) is full, or a file would pass the file system's size limit. */
  NO_SPACE: 'environment',
  /** An output path names the wrong kind of thing: a folder where a file goes, a file where a folder goes. */
  BAD_TARGET: 'environment',
  /** Another operating-system failure while writing (I/O error, too many open files…). */
  WRITE_FAILED: 'environment',
  /** The run store of `krs serve` cannot be opened, migrated or written (no server at the URL, a full disk…). */
  STORE_UNAVAILABLE: 'environment',
  /** The run was stopped by SIGINT or SIGTERM. */
  INTERRUPTED: 'interrupted',
  /** A bug in krs: an invariant did not hold. */
  INTERNAL: 'internal',
} as const satisfies Record<string, ErrorKind>;

export type ErrorCode = keyof typeof ERROR_KINDS;

/** Exit status of the CLI for each error kind (130 = 128 + SIGINT, as shells report an interrupt). */
export const EXIT_STATUS: Record<ErrorKind, number> = { internal: 1, usage: 2, data: 3, environment: 4, interrupted: 130 };

/**
 * The exit status of a run stopped by `signal`: 128 + its number, as a shell reports a process
 * the signal killed — 130 for SIGINT (`EXIT_STATUS.interrupted`), 143 for SIGTERM.
 */
export function interruptedStatus(signal: string): number {
  return signal === 'SIGTERM' ? 143 : EXIT_STATUS.interrupted;
}

/** Errno codes of a failed write: the error code, the cause and the remedy the message gives. */
const WRITE_FAILURES: Record<string, readonly [ErrorCode, string, string]> = {
  EACCES: ['NOT_WRITABLE', 'permission denied', 'choose a folder you can write to or change its permissions'],
  EPERM: ['NOT_WRITABLE', 'operation not permitted', 'choose a folder you can write to or change its permissions'],
  EROFS: ['NOT_WRITABLE', 'read-only file system', 'choose a folder on a writable file system'],
  ENOSPC: ['NO_SPACE', 'no space left on the device', 'free some space or write elsewhere'],
  EDQUOT: ['NO_SPACE', 'disk quota exceeded', 'free some space or write elsewhere'],
  EFBIG: ['NO_SPACE', 'file too large for the file system', 'write to another file system'],
  EISDIR: ['BAD_TARGET', 'it is a folder', 'name a file, or remove the folder'],
  EEXIST: ['BAD_TARGET', 'a file is in the way where a folder is needed', 'name a folder, or remove the file'],
  ENOTDIR: ['BAD_TARGET', 'a part of the path is a file, not a folder', 'fix the path'],
  ENOENT: ['BAD_TARGET', 'its folder does not exist or cannot hold new files', 'choose another folder'],
  // Not errnos: what krs finds at a target before it writes (src/io/node-atomic-write.ts, writeTarget).
  NOT_REGULAR: [
    'BAD_TARGET',
    'it is a device, pipe or socket, not a regular file (krs replaces the file it writes, which would destroy it)',
    'name a regular file',
  ],
  DANGLING: ['BAD_TARGET', 'it is a symbolic link to a path that does not exist', 'name the file itself, or fix the link'],
  ENOTEMPTY: ['BAD_TARGET', 'it holds folders or links, and krs replaces the folder as a whole', 'name a folder of its own, or one that holds files only'],
};

/** Brackets of an option reference inside a message template (Unicode private-use characters). */
const OPTION_OPEN = '\u{E000}';
const OPTION_CLOSE = '\u{E001}';
const OPTION_REF = /\u{E000}([^\u{E001}]*)\u{E001}/gu;

/**
 * Refer to an option of the library API (e.g. `opt('batchSize')`) inside an error message.
 * The library's message shows the API name (`batchSize`); a front end that knows the option
 * by another name rewords the error with {@link KrsError.withOptionNames} (the CLI shows
 * `--batch-size`). Library code never spells a CLI flag.
 */
export function opt(name: string): string {
  return `${OPTION_OPEN}${name}${OPTION_CLOSE}`;
}

/**
 * Text with every option reference ({@link opt}) replaced by `name(option)` — the library's
 * own name when no namer is given. For text that is not a KrsError's message: a result's
 * reasons and warnings, on their way to a user.
 */
export function nameOptions(text: string, name: OptionNamer = (o) => o): string {
  return text.replace(OPTION_REF, (_, option: string) => name(option));
}

/** {@link nameOptions} on every string of a plain JSON-like value (arrays and plain objects walked; the rest kept). */
export function nameOptionsIn<T>(value: T, name: OptionNamer = (o) => o): T {
  if (typeof value === 'string') return nameOptions(value, name) as T;
  if (Array.isArray(value)) return value.map((v) => nameOptionsIn(v, name)) as T;
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, nameOptionsIn(v, name)])) as T;
  }
  return value;
}

/** How a front end names the library's options: `batchSize` → `--batch-size`. */
export type OptionNamer = (option: string) => string;

/**
 * The error krs throws for every caller mistake and every undefined result.
 * `message` is a single line; `details` holds the echoed values for machine use (typed per
 * builder below; `details.option` is the API name of the option at fault, where there is one).
 */
export class KrsError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;
  /** The message with its option references still marked (see {@link opt}). */
  private readonly template: string;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    const template = oneLine(message);
    super(template.replace(OPTION_REF, '$1'));
    this.name = 'KrsError';
    this.code = code;
    this.details = details;
    this.template = template;
  }

  /** usage, data, environment, interrupted or internal. */
  get kind(): ErrorKind {
    return ERROR_KINDS[this.code];
  }

  /** The same error, with every option named as the caller knows it (the CLI passes its flags). */
  withOptionNames(name: OptionNamer): KrsError {
    return new KrsError(
      this.code,
      this.template.replace(OPTION_REF, (_, option: string) => opt(name(option))),
      this.details as Record<string, unknown>,
    );
  }

  /** The same error, its message preceded by where it happened (`metric 'student0' of s1.krs: …`). */
  within(context: string): KrsError {
    return new KrsError(this.code, `${context}: ${this.template}`, this.details as Record<string, unknown>);
  }

  /** The machine-readable payload (what the CLI prints with --json). */
  toJSON(): { error: { code: ErrorCode; kind: ErrorKind; message: string; details: Record<string, unknown> } } {
    return { error: { code: this.code, kind: this.kind, message: this.message, details: { ...this.details } } };
  }
}

/** Collapse whitespace so every message is one line. */
function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

/** Format a shape as `[2, 3, 4]`. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** A byte count for people, in the unit of `--memory-budget`: MiB from 1 MiB up, KiB below. */
function fmtBytes(bytes: number): string {
  return bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(0)} MiB` : `${(bytes / 2 ** 10).toFixed(1)} KiB`;
}

/** Quote a name for a message: `'name'`. */
export function q(name: string): string {
  return `'${name}'`;
}

// ---------------------------------------------------------------------------
// Message builders. Every message krs prints is written here, so wording and
// details stay consistent; modules call these instead of `new KrsError` inline.
// ---------------------------------------------------------------------------

export const errors = {
  /** `option` is the API name of the option (shown as its flag by the CLI); `expected` may refer to others with {@link opt}. */
  /** An option given with a bad value — or, for `value` null or undefined, one not given that is needed (never "invalid --x null"). */
  badOption: (option: string, value: unknown, expected: string) =>
    new KrsError(
      'BAD_OPTION',
      value === null || value === undefined
        ? `missing ${opt(option)}: expected ${expected}`
        : `invalid ${opt(option)} ${JSON.stringify(value)}: expected ${expected}`,
      { option, value: value ?? null },
    ),

  storeUnavailable: (store: string, reason: string) => new KrsError('STORE_UNAVAILABLE', `the store ${store} ${reason}`, { store, reason }),

  alphaOutOfRange: (alpha: number) => new KrsError('BAD_WEIGHT', `alpha must be in [0, 1], got ${alpha}`, { alpha }),

  betaMismatch: (alpha: number, beta: number) =>
    new KrsError('BAD_WEIGHT', `alpha + beta must equal 1, got alpha=${alpha} beta=${beta} (sum ${alpha + beta})`, {
      alpha,
      beta,
    }),

  unknownKey: (what: string, key: string, file: string, available: readonly string[]) =>
    new KrsError(
      'UNKNOWN_KEY',
      `${what} ${q(key)} not found in ${file}; available: ${available.length ? available.slice(0, 20).join(', ') + (available.length > 20 ? ', …' : '') : '(none)'}`,
      { key, file, available },
    ),

  fileNotFound: (file: string) => new KrsError('FILE_NOT_FOUND', `${file}: no such file or directory`, { file }),

  fileUnreadable: (file: string, reason: string) => new KrsError('FILE_NOT_FOUND', `${file}: cannot be read (${reason})`, { file, reason }),

  badFile: (file: string, reason: string) => new KrsError('BAD_FILE', `${file}: ${reason}`, { file, reason }),

  rowRange: (file: string, key: string | undefined, start: number, end: number, rows: number) =>
    new KrsError('BAD_OPTION', `${file}${key !== undefined ? ` (${q(key)})` : ''}: row range [${start}, ${end}) is not within the ${rows} rows of axis 0`, {
      file,
      key,
      start,
      end,
      rows,
    }),

  tooLarge: (file: string, bytes: number) =>
    new KrsError('BAD_VALUE', `${file}: array of ${bytes} bytes is too large to load in one piece on this platform; read it in row ranges`, { file, bytes }),

  /**
   * A size declared by a file (array bytes, image pixels, a header, a text file) above a
   * resource limit of src/io/limits.ts; `limit` is its API name, `env` the variable that sets it.
   */
  /** A run whose priced memory (src/krs/run-memory.ts) is over the memory budget, refused before anything is read. */
  overMemoryBudget: (what: string, bytes: number, budget: number, largest: readonly { what: string; bytes: number }[]) =>
    new KrsError(
      'BAD_VALUE',
      `${what} needs about ${fmtBytes(bytes)} of memory (largest: ${largest.map((p) => `${p.what} ${fmtBytes(p.bytes)}`).join('; ')}), more than the memory budget ${fmtBytes(budget)}: raise ${opt('memoryBudget')}, pool the layers, ask for the minibatch ${opt('estimator')} or leave out the null level (${opt('null')})`,
      { what, bytes, budget, largest: largest.map((p) => ({ what: p.what, bytes: p.bytes })) },
    ),

  overLimit: (file: string, what: string, value: number, limit: string, max: number, env: string) =>
    new KrsError('BAD_VALUE', `${file}: ${what} is ${value}, more than the limit ${limit} = ${max} (set ${env} or the ${limit} limit to raise it)`, {
      file,
      what,
      value,
      limit,
      max,
      env,
    }),

  /** A resource-limit environment variable that is not a positive integer. */
  badLimitVariable: (env: string, value: string) =>
    new KrsError('BAD_OPTION', `environment variable ${env}=${JSON.stringify(value)}: expected a positive integer`, { env, value }),

  unsupportedDtype: (file: string, dtype: string, key?: string) =>
    new KrsError('UNSUPPORTED_DTYPE', `${file}${key ? ` (${q(key)})` : ''}: unsupported dtype ${JSON.stringify(dtype)}`, { file, dtype, key }),

  shapeMismatch: (what: string, expected: string, got: string, details: Record<string, unknown> = {}) =>
    new KrsError('SHAPE_MISMATCH', `${what}: expected ${expected}, got ${got}`, { expected, got, ...details }),

  sampleCountMismatch: (what: string, teacher: number, student: number) =>
    new KrsError('SHAPE_MISMATCH', `${what}: teacher has ${teacher} samples, student has ${student}`, {
      teacher,
      student,
    }),

  idMismatch: (reason: string, details: Record<string, unknown> = {}) =>
    new KrsError('ID_MISMATCH', `sample ids differ between teacher and student: ${reason}`, details),

  nonFinite: (what: string, index: number, value: number) =>
    new KrsError('NON_FINITE', `${what} holds ${value} at flat index ${index}`, { index, value: String(value) }),

  badValue: (what: string, value: unknown, expected: string) =>
    new KrsError('BAD_VALUE', `${what} is ${typeof value === 'number' ? value : JSON.stringify(value)}: expected ${expected}`, {
      value,
    }),

  undefinedResult: (what: string, reason: string) => new KrsError('UNDEFINED', `${what} is undefined: ${reason}`, { reason }),

  internal: (what: string) => new KrsError('INTERNAL', `internal error: ${what}`),

  notProbabilities: (what: string, row: number, reason: string, option: string) =>
    new KrsError('BAD_VALUE', `${what} row ${row} is not a probability distribution (${reason}); if these are logits, set ${opt(option)} to logits`, {
      row,
      reason,
      option,
    }),

  /** Teacher and student output arrays whose kinds (inferred from their values) differ; `options` are the API names that set them. */
  outputKindsDiffer: (teacher: string, student: string, options: readonly [string, string], details: Record<string, unknown> = {}) =>
    new KrsError('BAD_OPTION', `${teacher} but ${student}; say how to read them with ${opt(options[0])} and ${opt(options[1])} (logits, probs or sigmoid)`, {
      options: [...options],
      ...details,
    }),

  /** An output array that holds label ids where per-class scores are needed. */
  labelsNotScores: (what: string, reason: string, needs: string, option: string) =>
    new KrsError('BAD_VALUE', `${what} looks like label ids (${reason}), but ${needs}; if they are scores, set ${opt(option)} to logits, probs or sigmoid`, {
      reason,
      option,
    }),

  /** A value read as a sigmoid score that is outside [0, 1]. */
  notSigmoid: (what: string, index: number, value: number, option: string) =>
    new KrsError(
      'BAD_VALUE',
      `${what} holds ${value} at flat index ${index}, not a sigmoid score in [0, 1]; if these are logits, set ${opt(option)} to logits`,
      {
        index,
        value,
        option,
      },
    ),

  duplicateId: (what: string, id: string, where: string) => new KrsError('ID_MISMATCH', `${what} ${q(id)} appears more than once (${where})`, { id, where }),

  badState: (measure: string, reason: string) => new KrsError('BAD_VALUE', `cannot restore ${measure} state: ${reason}`, { measure, reason }),

  incompatibleStates: (measure: string, action: string, reason: string) =>
    new KrsError('BAD_OPTION', `cannot ${action} ${measure} state: ${reason}`, { measure, action, reason }),

  // --- ONNX models, taps and data sets (src/runtime) ---

  /** A tensor name that is not in a model's graph, with the closest names it has. */
  unknownTensor: (what: string, name: string, file: string, suggestions: readonly string[], count: number) =>
    new KrsError(
      'UNKNOWN_KEY',
      `${what} ${q(name)} is not a tensor of ${file}${suggestions.length ? `; closest: ${suggestions.map(q).join(', ')}` : ''} (\`krs layers --model ${file}\` lists all ${count})`,
      { name, file, suggestions },
    ),

  /** An initializer whose external data file is missing or too short. */
  externalData: (file: string, initializer: string, location: string, expected: string, reason: string) =>
    new KrsError(
      'FILE_NOT_FOUND',
      `${file}: external data file ${q(location)} of initializer ${q(initializer)} ${reason} (looked for ${expected}; it must sit beside the model under that name)`,
      { file, initializer, location, expected, reason },
    ),

  /** A model input that the data cannot be made to fit. */
  inputShape: (file: string, input: string, expected: string, got: string, hint: string) =>
    new KrsError('SHAPE_MISMATCH', `${file}: input ${q(input)} expects ${expected}, got ${got}${hint ? `; ${hint}` : ''}`, { file, input, expected, got }),

  // --- reports and charts (src/report) ---

  /** No font to draw chart text into PNGs with. */
  noChartFont: (looked: readonly string[], reason: string) =>
    new KrsError(
      'FILE_NOT_FOUND',
      `cannot write PNG charts: ${reason} (looked in ${looked.join(', ')}); reinstall krs's dependencies (npm ci brings dejavu-fonts-ttf), install Debian's fonts-dejavu-core, or set KRS_FONT to a .ttf file`,
      { looked, reason },
    ),

  /** An output file whose extension names no format krs writes. */
  badOutputFormat: (option: string, file: string, expected: readonly string[]) =>
    new KrsError('BAD_OPTION', `${option} ${file}: unknown format; the file name must end in ${expected.join(' or ')}`, { option, file, expected }),

  /** ONNX Runtime refused a model or failed while running it. */
  modelFailed: (file: string, action: string, reason: string) =>
    new KrsError('BAD_FILE', `${file}: ONNX Runtime could not ${action}: ${reason}`, { file, action, reason }),

  // --- writing files, and interrupts (src/io/node-atomic-write.ts, src/io/interrupt.ts) ---

  /**
   * Writing `file` failed for a reason of the machine, not of the input: `code` is Node's
   * errno code (EACCES, EROFS, ENOSPC, EISDIR…), `what` says what was being written
   * ('the capture', 'the report'). The message names the path, the cause and what to do.
   */
  writeFailed: (file: string, what: string, code: string, detail?: string) => {
    const [errorCode, cause, fix] = WRITE_FAILURES[code] ?? ['WRITE_FAILED', `failed (${code}${detail ? `: ${detail}` : ''})`, 'check the disk and try again'];
    return new KrsError(errorCode, `cannot write ${what} ${file}: ${cause}; ${fix}`, { file, what, errno: code });
  },

  /**
   * The run was stopped by `signal`. `written` lists the files it had written in full
   * (renamed into place) before it stopped; every other file it was writing was removed.
   */
  interrupted: (signal: string, written: readonly string[]) =>
    new KrsError(
      'INTERRUPTED',
      written.length === 0
        ? `interrupted (${signal}); no file was written (partial files were removed, existing files left as they were)`
        : `interrupted (${signal}) after ${written.join(', ')} ${written.length === 1 ? 'was' : 'were'} written in full; no other file was written`,
      { signal, written: [...written] },
    ),

  // --- experiments tables and analysis (src/analysis) ---

  /** Required columns absent from an experiments table. */
  missingColumns: (file: string, missing: readonly string[], present: readonly string[]) =>
    new KrsError(
      'BAD_FILE',
      `${file}: missing column${missing.length > 1 ? 's' : ''} ${missing.map(q).join(', ')}; columns present: ${present.length ? present.join(', ') : '(none)'}`,
      { file, missing, present },
    ),

  /** A bad cell of a table: names the file, the 1-based data row (and the line), the column and the value. */
  badCell: (file: string, row: number, line: number | null, column: string, value: unknown, expected: string) =>
    new KrsError(
      'BAD_VALUE',
      `${file} row ${row}${line !== null ? ` (line ${line})` : ''}, column ${q(column)}: ${value === '' || value === null || value === undefined ? 'empty' : JSON.stringify(value)}; expected ${expected}`,
      { file, row, line, column, value },
    ),

  /** A value asked for by name (an experiment id, a sample id) that is not there. */
  notFound: (what: string, name: string, where: string, available: readonly string[]) =>
    new KrsError(
      'UNKNOWN_KEY',
      `${what} ${q(name)} not found in ${where}; available: ${available.length ? available.slice(0, 20).join(', ') + (available.length > 20 ? ', …' : '') : '(none)'}`,
      { name, where, available },
    ),
};
