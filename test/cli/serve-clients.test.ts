/**
 * `--serve URL --run NAME` of krs score, krs eval and krs demo against a real `krs serve`:
 * the posted point's scores are the command's own (the state is the evaluation's metric), the
 * run is created with its settings, the token comes from KRS_SERVE_TOKEN, and misuse is a
 * one-line usage error.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/serve/server.js';
import { krsWithEnv } from '../helpers/cli.js';
import { fixturePath } from '../helpers/fixtures.js';
import { sqliteStore, type TestStore } from '../serve/helpers.js';

const f = (name: string) => fixturePath(`score/${name}`);

/** Run krs in-process with KRS_SERVE_TOKEN set (or not). */
const krsWithToken = (token: string | undefined, ...args: string[]) => krsWithEnv(token ? { KRS_SERVE_TOKEN: token } : {}, ...args);

describe('--serve on score, eval and demo', () => {
  let ts: TestStore;
  let server: RunningServer;
  let token: string;
  beforeAll(async () => {
    ts = await sqliteStore();
    await ts.store.close();
    server = await startServer({ store: ts.location, port: 0, auth: 'on', rateLimit: 0 });
    token = (await server.store.createToken('cli', 'write')).token;
  });
  afterAll(async () => {
    await server?.close();
    await ts?.cleanup();
  });
  const read = async (path: string) => (await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } })).json() as Promise<any>;

  it('krs score --serve posts the score as a point of the run, created with its settings', async () => {
    const args = ['score', '--task', 'classification', '--teacher', f('cls-teacher.npz'), '--student', f('cls-student.npz'), '--json'];
    const r = await krsWithToken(token, ...args, '--serve', server.url, '--run', 'cls-deploy', '--step', '7');
    expect(r.status).toBe(0);
    const local = JSON.parse(r.stdout);
    expect(r.stderr).toMatch(/serve: posted to http:\/\/127\.0\.0\.1:\d+ run 'cls-deploy' as point \d+ \(step 7\): KRS \d+\.\d\d/);
    const run = await read('/v1/runs/cls-deploy');
    expect(JSON.stringify(run)).toMatch(/"task":"classification"/);
    expect(run.run.kind).toBe('training'); // a point with a step: a training run
    const series = await read('/v1/runs/cls-deploy/series?by=step');
    const point = JSON.stringify(series);
    expect(point).toContain(`"krs":${local.krs}`);
    // A second evaluation posts to the same run.
    const again = await krsWithToken(token, ...args, '--serve', server.url, '--run', 'cls-deploy', '--step', '8');
    expect(again.status).toBe(0);
    expect(JSON.stringify(await read('/v1/runs/cls-deploy/series?by=step')).match(/"step":/g)?.length).toBeGreaterThanOrEqual(2);
  });

  it('krs eval --serve posts the eval', async () => {
    const r = await krsWithToken(
      token,
      'eval',
      '--teacher',
      fixturePath('models/mlp-teacher.onnx'),
      '--student',
      fixturePath('models/mlp-student.onnx'),
      '--input',
      'mnist',
      '--limit',
      '200',
      '--task',
      'classification',
      '--no-progress',
      '--json',
      '--serve',
      server.url,
      '--run',
      'mlp-eval',
    );
    expect(r.status).toBe(0);
    expect(JSON.stringify(await read('/v1/runs/mlp-eval/series?by=time'))).toContain(`"krs":${JSON.parse(r.stdout).krs}`);
    expect((await read('/v1/runs/mlp-eval')).run.kind).toBe('deployment'); // no step: a deployment
  });

  it('--run-kind says what a new run is', async () => {
    const args = ['score', '--task', 'classification', '--teacher', f('cls-teacher.npz'), '--student', f('cls-student.npz'), '--serve', server.url];
    expect((await krsWithToken(token, ...args, '--run', 'nightly', '--run-kind', 'training')).status).toBe(0);
    expect((await read('/v1/runs/nightly')).run.kind).toBe('training');
    expect((await krsWithToken(token, ...args, '--run', 'edge-7', '--step', '3', '--run-kind', 'deployment')).status).toBe(0);
    expect((await read('/v1/runs/edge-7')).run.kind).toBe('deployment');
    const bad = await krsWithToken(token, ...args, '--run', 'x', '--run-kind', 'canary');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--run-kind "canary".*training or deployment/);
  });

  it('krs demo --quick --serve streams every student epoch as a point', async () => {
    const out = mkdtempSync(join(tmpdir(), 'krs-demo-serve-'));
    const r = await krsWithToken(token, 'demo', '--quick', '--out', out, '--no-progress', '--serve', server.url, '--run', 'q');
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/serve: posted \d+ points \(one per student and epoch\)/);
    const runs = JSON.stringify(await read('/v1/runs'));
    for (const id of ['baseline', 'kd-T1', 'fitnet']) expect(runs).toContain(`q-${id}`);
    const series = await read('/v1/runs/q-baseline/series?by=step');
    expect(JSON.stringify(series)).toMatch(/"step":0/);
  }, 180_000);

  it('misuse: --serve without --run, --run without --serve, a bad URL, no token, no server', async () => {
    const base = ['score', '--task', 'classification', '--teacher', f('cls-teacher.npz'), '--student', f('cls-student.npz')];
    const one = (r: { status: number | null; stderr: string }, status: number, pattern: RegExp) => {
      expect(r.status).toBe(status);
      expect(
        r.stderr
          .trim()
          .split('\n')
          .filter((l) => !l.startsWith('warning:')),
      ).toHaveLength(1);
      expect(r.stderr).toMatch(pattern);
    };
    one(await krsWithToken(token, ...base, '--serve', server.url), 2, /--run/);
    one(await krsWithToken(token, ...base, '--run', 'x'), 2, /--run.*used with --serve/);
    one(await krsWithToken(token, ...base, '--serve', 'ftp://x', '--run', 'x'), 2, /--serve "ftp:\/\/x".*http/);
    one(await krsWithToken(undefined, ...base, '--serve', server.url, '--run', 'x'), 3, /krs serve POST \/v1\/runs/);
    one(await krsWithToken(token, ...base, '--serve', 'http://127.0.0.1:9', '--run', 'x'), 2, /--serve "http:\/\/127\.0\.0\.1:9".*krs serve that answers/);
  });
});
