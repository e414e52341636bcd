/**
 * Node-only: writing files so that nothing half-written is ever left under a target name.
 *
 * A file is written to a temporary name in the target's own folder
 * (`.<name>.partial-<host>-<pid>-<random>`), flushed to the disk (fsync), checked against a
 * pending interrupt (`interrupt.ts`) and renamed over the target — the commit, after which
 * the journal records it. Any failure before the rename removes the temporary file and
 * leaves the previous target as it was. Failures of the machine (permissions, read-only or
 * full file systems, a folder where a file goes…) become one-line KrsErrors of kind
 * `environment` naming the target ({@link writeFailure}).
 *
 * {@link writeFileAtomicAsync} writes in chunks of 8 MiB with a stop point after each (the event
 * loop turns, so a signal handler runs, and a pending interrupt stops the write): a long write
 * acts on Ctrl-C within a chunk. {@link writeDirAtomic} does the same for a folder of files (a
 * report's charts): they are written into a temporary folder beside it, which replaces the
 * folder only when complete.
 *
 * A process killed outright (SIGKILL, power loss) cannot remove its temporary files; the
 * next write to the same target removes them ({@link removeStalePartials}) when the process
 * named in them is gone and they are older than {@link STALE_AGE_MS}.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { errors, KrsError } from '../core/errors.js';
import { CHUNK_BYTES, checkInterrupt, pauseAtSync, recordCommit, throwIfInterrupted } from './interrupt.js';

/** Temporary files of dead processes younger than this are left alone (another machine's clock, a slow rename). */
const STALE_AGE_MS = 30_000;

/** Temporary folders of unfinished {@link writeDirAtomic} calls, removed if the process exits first. */
const liveDirs = new Set<string>();
let dirExitHook = false;

/** This host, as written in temporary names (only letters, digits, `_` and `.`). */
const HOST = hostname().replace(/[^A-Za-z0-9_.]/g, '_') || 'host';

/**
 * A failure while writing `file` as a KrsError: KrsErrors pass through, Node errno errors
 * become `errors.writeFailed` (NOT_WRITABLE, NO_SPACE, BAD_TARGET, WRITE_FAILED).
 * @param what what was being written, for the message: 'the capture', 'the report'…
 */
export function writeFailure(file: string, e: unknown, what: string): KrsError {
  if (e instanceof KrsError) return e;
  const err = e as NodeJS.ErrnoException | undefined;
  const code = typeof err?.code === 'string' ? err.code : 'EIO';
  return errors.writeFailed(file, what, code, err?.message?.split('\n')[0]);
}

/** The prefix of every temporary name for `file`: `.<name>.partial-`. */
export function partialPrefix(file: string): string {
  return `.${path.basename(file)}.partial-`;
}

/** A fresh temporary path (file or folder) beside `file`, owned by this process. */
export function partialPath(file: string): string {
  return path.join(path.dirname(path.resolve(file)), `${partialPrefix(file)}${HOST}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Remove the temporary files and folders a killed krs process left beside `file`: those of
 * this host whose process is gone and whose last change is older than `maxAgeMs`. Others
 * (a live writer, another host, an unknown name) are left alone; failures are ignored.
 * @returns the paths removed.
 */
export function removeStalePartials(file: string, maxAgeMs = STALE_AGE_MS): string[] {
  const dir = path.dirname(path.resolve(file));
  const prefix = partialPrefix(file);
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.startsWith(prefix));
  } catch {
    return [];
  }
  const removed: string[] = [];
  const now = Date.now();
  for (const name of names) {
    const m = /^([A-Za-z0-9_.]+)-(\d+)-[0-9a-f]{8}$/.exec(name.slice(prefix.length));
    if (!m || m[1] !== HOST || processAlive(Number(m[2]))) continue;
    const p = path.join(dir, name);
    try {
      if (now - fs.lstatSync(p).mtimeMs < maxAgeMs) continue;
      fs.rmSync(p, { recursive: true, force: true });
      removed.push(p);
    } catch {
      /* raced with another cleaner, or not ours to remove */
    }
  }
  return removed;
}

/**
 * Make `dir` (and its parents) as a folder to write into.
 * @throws KrsError BAD_TARGET when a file is in the way, NOT_WRITABLE… (see {@link writeFailure}).
 */
export function ensureDir(dir: string, what: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw writeFailure(dir, e, what);
  }
  let isDir = false;
  try {
    isDir = fs.statSync(dir).isDirectory();
  } catch (e) {
    throw writeFailure(dir, e, what);
  }
  if (!isDir) throw errors.writeFailed(dir, what, 'EEXIST');
}

/**
 * The path a write to `file` replaces: `file` itself when absent or a regular file; through a
 * symbolic link, the regular file it points to (the link is kept, its file replaced). Never a
 * device, FIFO or socket (`/dev/full`, `/proc/self/fd/1`): renaming over one would destroy it.
 * @throws KrsError BAD_TARGET when `file` is (or links to) a folder, a device, a pipe or a socket,
 *   or is a link to nothing.
 */
export function writeTarget(file: string, what: string): string {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch {
    return file; // absent (or unreachable: the write itself will say why)
  }
  let target = file;
  if (st.isSymbolicLink()) {
    try {
      target = fs.realpathSync(file);
      st = fs.statSync(target);
    } catch {
      throw errors.writeFailed(file, what, 'DANGLING');
    }
  }
  if (st.isDirectory()) throw errors.writeFailed(file, what, 'EISDIR');
  if (!st.isFile()) throw errors.writeFailed(file, what, 'NOT_REGULAR');
  return target;
}

/** {@link writeTarget} as a check before work starts. @throws as it does. */
export function checkFileTarget(file: string, what: string): void {
  writeTarget(file, what);
}

/**
 * The commit: stop instead if an interrupt is pending, else rename the complete `tmp` over
 * `file`, flush the folder entry, and record the commit in the journal.
 * @throws KrsError INTERRUPTED (nothing renamed), or as {@link writeFailure}; `tmp` is left for the caller to remove.
 */
export function commitFile(tmp: string, file: string, what: string): void {
  throwIfInterrupted();
  pauseAtSync('commit');
  try {
    fs.renameSync(tmp, file);
  } catch (e) {
    throw writeFailure(file, e, what);
  }
  const folder = path.dirname(path.resolve(file));
  syncDir(folder);
  // A file of a folder still being written (writeDirAtomic) is committed with the folder.
  if (!liveDirs.has(folder)) recordCommit(file);
}

/** fsync a folder so a rename in it survives a crash; best effort (not every file system allows it). */
function syncDir(dir: string): void {
  let fd = -1;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    /* not supported here */
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
}

/** Write all of `bytes` to `fd`. */
export function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += fs.writeSync(fd, bytes, off, Math.min(bytes.length - off, 1 << 30));
}

/**
 * Write `data` to `file` atomically (see the module comment), creating its folder if needed.
 * @param what what is written, for error messages ('the report', 'the chart'…)
 * @throws KrsError environment kinds (nothing changed at `file`), INTERRUPTED (likewise).
 */
export function writeFileAtomic(named: string, data: string | Uint8Array, what = 'the file'): void {
  for (const _ of atomicWriteSteps(named, data, what));
}

/**
 * {@link writeFileAtomic} in chunks of {@link CHUNK_BYTES}, with a stop point (`checkInterrupt`)
 * after each: a signal during a long write is acted on within a chunk, before the commit.
 * @throws as {@link writeFileAtomic}.
 */
export async function writeFileAtomicAsync(named: string, data: string | Uint8Array, what = 'the file'): Promise<void> {
  for (const _ of atomicWriteSteps(named, data, what)) {
    pauseAtSync('write-chunk');
    await checkInterrupt();
  }
}

/**
 * The one body of both writers: prepare the target and its temporary file, write
 * {@link CHUNK_BYTES} at a time yielding after each chunk (once for empty data), flush and
 * commit. A failure, or the driver stopping between chunks (an interrupt), closes and removes
 * the temporary file and leaves `file` as it was.
 */
function* atomicWriteSteps(named: string, data: string | Uint8Array, what: string): Generator<void, void> {
  throwIfInterrupted();
  ensureDir(path.dirname(path.resolve(named)), what);
  const file = writeTarget(named, what);
  removeStalePartials(file);
  const tmp = partialPath(file);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let fd = -1;
  let committed = false;
  try {
    fd = machineStep(file, what, () => fs.openSync(tmp, 'wx'));
    for (let at = 0; at < bytes.length || at === 0; at += CHUNK_BYTES) {
      machineStep(file, what, () => writeAll(fd, bytes.subarray(at, at + CHUNK_BYTES)));
      yield;
      if (bytes.length === 0) break;
    }
    machineStep(file, what, () => {
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      fd = -1;
    });
    commitFile(tmp, file, what);
    committed = true;
  } finally {
    if (!committed) {
      if (fd >= 0) fs.closeSync(fd);
      fs.rmSync(tmp, { force: true });
    }
  }
}

/** `step()`, its failures turned into one-line KrsErrors naming `file` ({@link writeFailure}). */
function machineStep<T>(file: string, what: string, step: () => T): T {
  try {
    return step();
  } catch (e) {
    throw writeFailure(file, e, what);
  }
}

/**
 * Check `dir` as a target of {@link writeDirAtomic} before any work (its parent folder is
 * created): absent, or a folder of files only, not the current folder or one containing it.
 * @returns the names of the files it holds, or null when it does not exist.
 * @throws KrsError BAD_TARGET (EEXIST: a file is in the way; ENOTEMPTY: subfolders or links,
 *   or the current folder), or as {@link writeFailure}.
 */
export function checkDirTarget(dir: string, what: string): string[] | null {
  const target = path.resolve(dir);
  ensureDir(path.dirname(target), what);
  let st: fs.Stats | null = null;
  try {
    st = fs.lstatSync(target);
  } catch {
    return null;
  }
  if (!st.isDirectory()) throw errors.writeFailed(dir, what, 'EEXIST');
  const cwd = process.cwd();
  if (cwd === target || cwd.startsWith(`${target}${path.sep}`)) throw errors.writeFailed(dir, what, 'ENOTEMPTY');
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(target, { withFileTypes: true });
  } catch (e) {
    throw writeFailure(dir, e, what);
  }
  if (entries.some((e) => !e.isFile())) throw errors.writeFailed(dir, what, 'ENOTEMPTY');
  return entries.map((e) => e.name);
}

/**
 * Write a folder of files as one: `fill` writes them into a fresh temporary folder beside `dir`
 * (`.<name>.partial-<host>-<pid>-<random>/`, passed to it), and only when it has finished does
 * that folder take `dir`'s place — the commit, after a stop point — so an interrupt or a
 * failure leaves the old folder as it was, and a completed call the new one: never a mix.
 * Files of an existing `dir` that `fill` did not write are carried over (hard links, or
 * copies), so the new folder holds them too. The old folder is moved aside and removed after
 * the new one is in place; only a process killed outright between those two renames (two
 * system calls) leaves no folder under the name, with the old one beside it as a temporary
 * folder the next write removes.
 * @throws KrsError BAD_TARGET when a file is in the way, or `dir` holds anything but files
 *   (subfolders, links) or is the current folder or one containing it (checked before `fill`
 *   runs); INTERRUPTED (nothing changed); environment kinds; whatever `fill` throws.
 */
export async function writeDirAtomic<T>(dir: string, what: string, fill: (tmp: string) => Promise<T>): Promise<T> {
  throwIfInterrupted();
  const target = path.resolve(dir);
  const old = checkDirTarget(dir, what);
  removeStalePartials(target);
  const tmp = partialPath(target);
  try {
    fs.mkdirSync(tmp);
  } catch (e) {
    throw writeFailure(dir, e, what);
  }
  liveDirs.add(tmp);
  if (!dirExitHook) {
    dirExitHook = true;
    process.on('exit', () => {
      for (const d of liveDirs) fs.rmSync(d, { recursive: true, force: true });
    });
  }
  let aside: string | null = null;
  try {
    const value = await fill(tmp);
    for (const name of old ?? []) {
      const into = path.join(tmp, name);
      if (fs.existsSync(into)) continue;
      try {
        try {
          fs.linkSync(path.join(target, name), into);
        } catch {
          fs.copyFileSync(path.join(target, name), into);
        }
      } catch (e) {
        throw writeFailure(dir, e, what);
      }
    }
    syncDir(tmp);
    await checkInterrupt();
    pauseAtSync('commit');
    if (old) {
      aside = partialPath(target);
      try {
        fs.renameSync(target, aside);
      } catch (e) {
        aside = null;
        throw writeFailure(dir, e, what);
      }
    }
    try {
      fs.renameSync(tmp, target);
    } catch (e) {
      if (aside) fs.renameSync(aside, target);
      aside = null;
      throw writeFailure(dir, e, what);
    }
    liveDirs.delete(tmp);
    syncDir(path.dirname(target));
    recordCommit(dir);
    return value;
  } finally {
    if (liveDirs.delete(tmp)) fs.rmSync(tmp, { recursive: true, force: true });
    if (aside) fs.rmSync(aside, { recursive: true, force: true });
  }
}
