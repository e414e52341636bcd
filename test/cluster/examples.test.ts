/**
 * examples/cluster, run here as the schedulers would run it: the Kubernetes Indexed Job's
 * shard script (from the manifest's ConfigMap) in N parallel processes, each with its
 * JOB_COMPLETION_INDEX, then the merge Job's script; the Slurm array script in N parallel
 * processes with SLURM_ARRAY_TASK_ID (and _MIN), then the merge script. `krs` on the PATH is
 * the built bin. The merged result must equal one `krs score` of the same captures.
 */
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { KRS_BIN, krs } from '../helpers/cli.js';
import { fixturePath } from '../helpers/fixtures.js';

const root = fileURLToPath(new URL('../../examples/cluster/', import.meta.url));
const bin = mkdtempSync(join(tmpdir(), 'krs-bin-'));

/** The block scalar under `key: |` in a YAML text (indentation-delimited), as a shell script. */
function blockScalar(yaml: string, key: string): string {
  const lines = yaml.split('\n');
  const at = lines.findIndex((l) => l.trimStart().startsWith(`${key}: |`));
  if (at < 0) throw new Error(`no block ${key} in the manifest`);
  const indent = lines[at]!.length - lines[at]!.trimStart().length;
  const body: string[] = [];
  for (const l of lines.slice(at + 1)) {
    if (l.trim() !== '' && l.length - l.trimStart().length <= indent) break;
    body.push(l);
  }
  const strip = Math.min(...body.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length));
  return body.map((l) => l.slice(strip)).join('\n');
}

/** Run a shell script file with the environment; resolves with its exit status and stderr. */
function run(shell: string, file: string, env: Record<string, string>): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(shell, [file], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (status) => resolve({ status, stderr }));
  });
}

/** A shared folder with the captures, as the volume or file system the examples expect. */
function sharedFolder(): string {
  const shared = mkdtempSync(join(tmpdir(), 'krs-shared-'));
  mkdirSync(join(shared, 'captures'));
  copyFileSync(fixturePath('score/cls-teacher.npz'), join(shared, 'captures/teacher.npz'));
  copyFileSync(fixturePath('score/cls-student.npz'), join(shared, 'captures/student.npz'));
  return shared;
}

let single: any;
beforeAll(async () => {
  writeFileSync(join(bin, 'krs'), `#!/bin/sh\nexec "${process.execPath}" "${KRS_BIN}" "$@"\n`);
  chmodSync(join(bin, 'krs'), 0o755);
  const shared = sharedFolder();
  const r = await krs(
    'score',
    '--task',
    'classification',
    '--teacher',
    join(shared, 'captures/teacher.npz'),
    '--student',
    join(shared, 'captures/student.npz'),
    '--batch-size',
    BATCH_SIZE,
    '--json',
  );
  single = JSON.parse(r.stdout);
});

/** Samples per batch: the test captures' 64 samples in 4 batches, one per shard (a shard is whole batches). */
const BATCH_SIZE = '16';

/** The merged result equals the single run (file names aside: both read the same captures). */
function expectSameResult(shared: string, shards: number) {
  const states = readdirSync(join(shared, 'states'));
  expect(states).toHaveLength(shards);
  const merged = JSON.parse(readFileSync(join(shared, 'result.json'), 'utf8'));
  for (const k of ['n', 'fss', 'aoa', 'krs'] as const) expect(Math.abs(merged[k] - single[k])).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(single[k])));
  expect(merged.ci95.krs[0]).toBeCloseTo(single.ci95.krs[0], 10);
  expect(merged.reference.null.krs).toBeCloseTo(single.reference.null.krs, 10);
  expect(existsSync(join(shared, 'report.html'))).toBe(true);
}

describe('examples/cluster run locally with the schedulers’ variables', () => {
  it('Kubernetes: the Indexed Job’s shard script in `completions` parallel processes, then the merge Job’s', async () => {
    const yaml = readFileSync(join(root, 'k8s/krs-shards.yaml'), 'utf8');
    const completions = Number(/completions:\s*(\d+)/.exec(yaml)![1]);
    expect(/parallelism:\s*(\d+)/.exec(yaml)![1]).toBe(String(completions));
    expect(yaml).toMatch(/completionMode: Indexed/);
    expect(yaml).toMatch(/name: SHARDS\s+value: "(\d+)"/);
    expect(/name: SHARDS\s+value: "(\d+)"/.exec(yaml)![1]).toBe(String(completions));
    expect(yaml).toMatch(/command: \["sh", "\/scripts\/shard\.sh"\]/);
    expect(readFileSync(join(root, 'k8s/krs-merge.yaml'), 'utf8')).toMatch(/command: \["sh", "\/scripts\/merge\.sh"\]/);
    const scripts = mkdtempSync(join(tmpdir(), 'krs-scripts-'));
    writeFileSync(join(scripts, 'shard.sh'), blockScalar(yaml, 'shard.sh'));
    writeFileSync(join(scripts, 'merge.sh'), blockScalar(yaml, 'merge.sh'));
    const shared = sharedFolder();
    const pods = await Promise.all(
      Array.from({ length: completions }, (_, i) =>
        run('sh', join(scripts, 'shard.sh'), { SHARED: shared, SHARDS: String(completions), JOB_COMPLETION_INDEX: String(i), BATCH_SIZE }),
      ),
    );
    for (const p of pods) expect(p.stderr).toBe('');
    expect(pods.map((p) => p.status)).toEqual(Array(completions).fill(0));
    const merge = await run('sh', join(scripts, 'merge.sh'), { SHARED: shared });
    expect(merge.status).toBe(0);
    expectSameResult(shared, completions);
  });

  it('Slurm: the array script in parallel processes (--array=1-4, so SLURM_ARRAY_TASK_MIN=1), then the merge script', async () => {
    const script = readFileSync(join(root, 'slurm/krs-shards.sbatch'), 'utf8');
    expect(script).toMatch(/#SBATCH --array=0-3/);
    expect(readFileSync(join(root, 'slurm/submit.sh'), 'utf8')).toMatch(/--dependency=afterok:"\$jid" krs-merge\.sbatch/);
    const shared = sharedFolder();
    const tasks = await Promise.all(
      [1, 2, 3, 4].map((id) =>
        run('bash', join(root, 'slurm/krs-shards.sbatch'), {
          SHARED: shared,
          SHARDS: '4',
          SLURM_ARRAY_TASK_ID: String(id),
          SLURM_ARRAY_TASK_MIN: '1',
          BATCH_SIZE,
        }),
      ),
    );
    expect(tasks.map((t) => t.status)).toEqual([0, 0, 0, 0]);
    const merge = await run('bash', join(root, 'slurm/krs-merge.sbatch'), { SHARED: shared });
    expect(merge.status).toBe(0);
    expectSameResult(shared, 4);
  });
});
