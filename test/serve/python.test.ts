/**
 * The README's Python helper (krs_post.py: requests + NumPy only) against a real server: its
 * JSON and .npz posts are scored exactly as a local KrsMetric scores the same arrays. The
 * code is taken from the README itself, so the README cannot drift. Skipped, with the reason,
 * where python3 with NumPy and requests is missing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { npzCapture } from '../../src/io/npz.js';
import { bytesSource } from '../../src/io/source.js';
import { KrsMetric } from '../../src/krs/metric.js';
import { type RunningServer, startServer } from '../../src/serve/server.js';
import { sqliteStore, type TestStore } from './helpers.js';

const probe = spawnSync('python3', ['-c', 'import numpy, requests'], { encoding: 'utf8' });
const reason = probe.error ? 'python3 not found' : probe.status !== 0 ? `python3 lacks NumPy or requests (${probe.stderr.trim().split('\n').pop()})` : null;
if (reason) console.warn(`README Python test skipped: ${reason}`);

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const helper = /```python\n(# krs_post\.py[\s\S]*?)```/.exec(README)?.[1];

const SCRIPT = `
import sys, numpy as np
import requests
from krs_post import create_run, post_batch, post_npz
url, out = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(7)
t = rng.normal(size=(48, 12)); s = t[:, :8] + 0.3 * rng.normal(size=(48, 8))
tl = rng.normal(size=(48, 10)); sl = 1.5 * tl + 0.5 * rng.normal(size=(48, 10))
create_run(url, "py", "classification", ["fc:fc"], teacher="t", student="s")
create_run(url, "py", "classification", ["fc:fc"])  # exists: fine
p0 = post_batch(url, "py", 0, {"fc": t}, {"fc": s}, tl, sl)
p1 = post_npz(url, "py", 1, {"teacher.fc": t, "student.fc": s, "teacher_output": tl, "student_output": sl})
try:
    post_batch(url, "py", 2, {"fc": t}, {"fc": s[:-1]}, tl, sl)
    print("accepted a bad batch"); sys.exit(1)
except RuntimeError as e:
    print("refused:", e)
# The same Idempotency-Key twice (a retry after a lost answer): one point, the same answer.
body = {"step": 3, "teacher": {"fc": t.tolist()}, "student": {"fc": s.tolist()}, "teacherOutput": tl.tolist(), "studentOutput": sl.tolist()}
a = requests.post(f"{url}/v1/runs/py/batches", json=body, headers={"Idempotency-Key": "retry-1"}).json()
b = requests.post(f"{url}/v1/runs/py/batches", json=body, headers={"Idempotency-Key": "retry-1"}).json()
assert a == b, (a, b)
assert requests.get(f"{url}/v1/runs/py").json()["points"] == 3
np.savez(out, t=t, s=s, tl=tl, sl=sl, krs=np.array([p0["krs"], p1["krs"]]))
`;

describe.skipIf(reason !== null)('README Python helper', () => {
  let ts: TestStore;
  let server: RunningServer;
  const dir = mkdtempSync(join(tmpdir(), 'krs-py-'));
  beforeAll(async () => {
    ts = await sqliteStore();
    await ts.store.close();
    server = await startServer({ store: ts.location, port: 0, rateLimit: 0 });
  });
  afterAll(async () => {
    await server?.close();
    await ts?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('posts JSON and .npz batches that score like a local KrsMetric', { timeout: 60_000 }, async () => {
    expect(helper, 'the README has a ```python block starting with # krs_post.py').toBeTruthy();
    writeFileSync(join(dir, 'krs_post.py'), helper!);
    writeFileSync(join(dir, 'run.py'), SCRIPT);
    const out = join(dir, 'out.npz');
    // Async spawn: the server runs on this thread.
    const { spawn } = await import('node:child_process');
    const child = spawn('python3', [join(dir, 'run.py'), server.url, out], { cwd: dir });
    let text = '';
    child.stdout.on('data', (c) => (text += c));
    child.stderr.on('data', (c) => (text += c));
    const code = await new Promise((r) => child.on('exit', r));
    expect(code, text).toBe(0);
    expect(text).toMatch(/refused: .*48.*47|refused: .*47.*48/);
    const cap = npzCapture(bytesSource(out, readFileSync(out)));
    const a = (k: string) => cap.read(k);
    const posted = Array.from(a('krs').data as Float64Array);
    const f32 = (k: string) => {
      const t = a(k);
      return { ...t, dtype: 'float32' as const, data: Float32Array.from(t.data as Float64Array) };
    };
    for (const [i, get] of [
      [0, a],
      [1, f32],
    ] as const) {
      const m = new KrsMetric({ task: 'classification', pairs: [{ teacher: 'fc', student: 'fc' }] });
      await m.update({ teacher: { fc: get('t') }, student: { fc: get('s') }, teacherOutput: get('tl'), studentOutput: get('sl') });
      expect(posted[i]).toBeCloseTo((await m.compute()).krs, 9);
    }
  });
});
