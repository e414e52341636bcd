/**
 * src/io/node-atomic-write.ts and src/io/interrupt.ts: atomic replacement, the commit
 * journal, a pending interrupt stopping the commit, and which temporary files of other
 * processes the next write removes.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { KrsError } from '../../src/core/errors.js';
import { clearInterrupt, onCommit, requestInterrupt } from '../../src/io/interrupt.js';
import { partialPrefix, removeStalePartials, writeFileAtomic } from '../../src/io/node-atomic-write.js';
import { NpzWriter } from '../../src/io/node-npz-writer.js';

const dir = mkdtempSync(join(tmpdir(), 'krs-atomic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const HOST = hostname().replace(/[^A-Za-z0-9_.]/g, '_') || 'host';

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('writeFileAtomic', () => {
  it('replaces a file whole, journals the commit and leaves no temporary file', () => {
    const file = join(dir, 'a.txt');
    writeFileSync(file, 'old');
    const seen: string[] = [];
    const off = onCommit((f) => seen.push(f));
    writeFileAtomic(file, 'new content');
    off();
    expect(readFileSync(file, 'utf8')).toBe('new content');
    expect(seen).toEqual([file]);
    expect(readdirSync(dir).filter((n) => n.includes('a.txt'))).toEqual(['a.txt']);
  });

  it('with an interrupt pending commits nothing: INTERRUPTED, the old file kept (also for an npz capture)', () => {
    const file = join(dir, 'b.txt');
    writeFileSync(file, 'old');
    const npz = join(dir, 'c.npz');
    const w = new NpzWriter(npz, 1);
    w.append('x', { dtype: 'float32', shape: [1, 2], data: new Float32Array([1, 2]) });
    requestInterrupt('SIGINT');
    try {
      expect(() => writeFileAtomic(file, 'new')).toThrow(expect.objectContaining({ code: 'INTERRUPTED' }) as KrsError);
      expect(() => w.finish()).toThrow(/interrupted \(SIGINT\); no file was written/);
    } finally {
      clearInterrupt();
    }
    expect(readFileSync(file, 'utf8')).toBe('old');
    expect(readdirSync(dir).filter((n) => n.includes('b.txt') || n.includes('c.npz'))).toEqual(['b.txt']);
  });
});

describe('removeStalePartials', () => {
  it('removes only temporary files of this host whose process is gone and that are older than the age limit', () => {
    const target = join(dir, 'r.npz');
    const dead = deadPid();
    const old = new Date(Date.now() - 120_000);
    const name = (host: string, pid: number, tail = 'deadbeef') => `${partialPrefix(target)}${host}-${pid}-${tail}`;
    const cases = {
      deadOld: name(HOST, dead),
      deadYoung: name(HOST, dead, 'cafebabe'),
      alive: name(HOST, process.pid),
      otherHost: name('elsewhere', dead),
      unknown: `${partialPrefix(target)}abcdef`,
    };
    for (const [k, n] of Object.entries(cases)) {
      mkdirSync(join(dir, n));
      writeFileSync(join(dir, n, '0.npy'), 'x');
      if (k !== 'deadYoung') utimesSync(join(dir, n), old, old);
    }
    expect(removeStalePartials(target)).toEqual([join(dir, cases.deadOld)]);
    const left = readdirSync(dir).filter((n) => n.startsWith(partialPrefix(target)));
    expect(left.sort()).toEqual([cases.deadYoung, cases.alive, cases.otherHost, cases.unknown].sort());
    // A new writer of the same target cleans the same way (age 0 here: the young one goes too).
    expect(removeStalePartials(target, 0)).toEqual([join(dir, cases.deadYoung)]);
  });
});
