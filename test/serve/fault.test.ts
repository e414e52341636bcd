/**
 * Crash safety: a real `krs serve` process (the built bin) is killed with SIGKILL while
 * clients post to it; after a restart on the same store every acknowledged post is there,
 * and every stored point is whole (its state restores, its scores parse). On SQLite and, when
 * it answers, PostgreSQL.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { decodeStateFile } from '../../src/io/state-file.js';
import { KrsMetric } from '../../src/krs/metric.js';
import { dropSchema, openStore } from '../../src/serve/store/store.js';
import { batch, PG_URL, pgUnavailable, RUN, rows, uniqueSchema } from './helpers.js';

const BIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const reason = await pgUnavailable();
if (reason) console.warn(`PostgreSQL fault test skipped: ${reason}`);

/** Start the bin on a free port; resolve with its URL once it prints it. */
function serve(store: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--store', store, '--port', '0', '--rate-limit', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    // Generous: at load 20 a Node process takes many seconds to load fastify, kysely and the store.
    const t = setTimeout(() => reject(new Error(`krs serve did not start: ${err}`)), 180_000);
    child.stdout!.on('data', (c) => {
      out += c;
      const m = /krs serve: (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve({ child, url: m[1]! });
      }
    });
    child.stderr!.on('data', (c) => (err += c));
    child.on('exit', (code) => reject(new Error(`krs serve exited (${code}): ${err}`)));
  });
}

async function crashUnderLoad(store: string) {
  const { child, url } = await serve(store);
  const post = (path: string, body: unknown) =>
    fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect((await post('/v1/runs', { name: 'crash', ...RUN })).status).toBe(201);
  const m = new KrsMetric({ task: 'classification', pairs: [{ teacher: 'fc', student: 'fc' }], intervals: { groups: 5 } });
  await m.update(batch(24, 1));
  const state = m.toJSON();
  const acked = new Set<number>();
  let next = 0;
  let killed = false;
  // 8 clients post states with unique steps until the server dies.
  const client = async () => {
    while (!killed) {
      const step = next++;
      try {
        const r = await post('/v1/runs/crash/states', { step, state });
        if (r.status === 201) acked.add(step);
        else throw new Error(`unexpected ${r.status}: ${await r.text()}`);
      } catch (e) {
        if (!killed) throw e;
      }
    }
  };
  const clients = Array.from({ length: 8 }, client);
  // Kill once 30 posts are acknowledged, however long that takes (the test's timeout bounds it).
  while (acked.size < 30) await new Promise((r) => setTimeout(r, 20));
  killed = true;
  child.kill('SIGKILL');
  await Promise.allSettled(clients);
  await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
  expect(acked.size).toBeGreaterThanOrEqual(10);
  // Restart on the same store: it opens (WAL recovery / committed rows only) and serves every acknowledged point.
  const again = await serve(store);
  try {
    const pts = ((await (await fetch(`${again.url}/v1/runs/crash/points`)).json()) as { points: { step: number; krs: number }[] }).points;
    const steps = new Set(pts.map((p) => p.step));
    for (const s of acked) expect(steps.has(s), `acknowledged step ${s}`).toBe(true);
    expect(steps.size).toBe(pts.length); // no point twice
    const w = (await (await fetch(`${again.url}/v1/runs/crash/window`)).json()) as { points: number; scores: { n: number } };
    expect(w.points).toBe(pts.length);
    expect(w.scores.n).toBe(24 * pts.length);
  } finally {
    again.child.kill('SIGKILL');
  }
  // Every stored point is whole: its state restores, its scores parse.
  const rows = await storedPoints(store);
  expect(rows.length).toBeGreaterThanOrEqual(acked.size);
  for (const r of rows) {
    expect(() => KrsMetric.fromJSON(decodeStateFile(r.bytes, 'stored'))).not.toThrow();
    expect(JSON.parse(r.scores).n).toBe(24);
  }
  return acked.size;
}

/** Every stored point's state bytes and scores, read straight from the store (not through krs). */
async function storedPoints(store: string): Promise<{ bytes: Uint8Array; scores: string }[]> {
  const query = 'select s.bytes, p.scores from krs_point p join krs_state s on s.point_id = p.id';
  if (!store.startsWith('postgres')) {
    const db = new BetterSqlite3(store, { readonly: true });
    try {
      return db.prepare(query).all() as { bytes: Uint8Array; scores: string }[];
    } finally {
      db.close();
    }
  }
  const schema = new URL(store).searchParams.get('schema');
  const client = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
  await client.connect();
  try {
    return (await client.query(query)).rows;
  } finally {
    await client.end();
  }
}

/** A receiver of webhooks on a port chosen in advance (so it can be down first and come up later). */
function receiver(port: number, got: unknown[]): Promise<Server> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push(JSON.parse(body));
      res.writeHead(204).end();
    });
  });
  return new Promise((r) => server.listen(port, '127.0.0.1', () => r(server)));
}

describe('kill -9 during a load', () => {
  const dir = mkdtempSync(join(tmpdir(), 'krs-fault-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('SQLite: every acknowledged post survives, none half-written', { timeout: 600_000 }, async () => {
    await crashUnderLoad(join(dir, 'krs.db'));
  });

  it('Ctrl-C (SIGINT) stops the server cleanly: exit 0, the store closed and whole', { timeout: 600_000 }, async () => {
    const store = join(dir, 'sigint.db');
    const { child, url } = await serve(store);
    let err = '';
    child.stderr!.on('data', (c) => (err += c));
    const r = await fetch(`${url}/v1/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'kept', ...RUN }),
    });
    expect(r.status).toBe(201);
    child.removeAllListeners('exit');
    const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(err).toMatch(/krs serve: stopped \(SIGINT\)/);
    const st = await openStore(store);
    try {
      expect((await st.getRun('kept'))?.name).toBe('kept');
    } finally {
      await st.close();
    }
  });

  it('a webhook delivery pending when the server is killed is sent after the restart', { timeout: 600_000 }, async () => {
    const store = join(dir, 'outbox.db');
    const free = await receiver(0, []);
    const port = (free.address() as AddressInfo).port;
    await new Promise((r) => free.close(r)); // the receiver is down while the alert fires
    const first = await serve(store);
    const post = (path: string, body: unknown) =>
      fetch(first.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post('/v1/runs', { name: 'hooked', ...RUN })).status).toBe(201);
    expect((await post('/v1/runs/hooked/alerts', { kind: 'krs_below', threshold: 100, webhook: `http://127.0.0.1:${port}/hook` })).status).toBe(201);
    const r = (await (await post('/v1/runs/hooked/batches', { step: 0, ...batch(20, 1) })).json()) as { alerts: { state: string }[] };
    expect(r.alerts[0]!.state).toBe('firing');
    first.child.kill('SIGKILL');
    await new Promise((res) => (first.child.exitCode !== null || first.child.signalCode !== null ? res(null) : first.child.once('exit', res)));
    const got: unknown[] = [];
    const up = await receiver(port, got);
    const again = await serve(store);
    try {
      await vi.waitFor(() => expect(got).toHaveLength(1), { timeout: 60_000, interval: 100 });
      expect(got[0]).toMatchObject({ type: 'krs.alert', run: 'hooked', state: 'firing' });
      expect(JSON.stringify(got[0])).not.toContain('127.0.0.1'); // the payload does not carry the URL
    } finally {
      again.child.kill('SIGKILL');
      await new Promise((res) => up.close(res));
    }
  });

  it('a full disk is a 503 UNAVAILABLE naming the cause, and the server goes on', { timeout: 600_000 }, async (ctx) => {
    const mount = mkdtempSync(join(tmpdir(), 'krs-full-'));
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mount], { encoding: 'utf8' });
    if (mounted.status !== 0) {
      console.warn(`full-disk test skipped: cannot mount a small tmpfs (${(mounted.stderr || mounted.error?.message || '').trim()})`);
      rmSync(mount, { recursive: true, force: true });
      ctx.skip();
      return;
    }
    const server = await serve(join(mount, 'krs.db'));
    try {
      const post = (path: string, body: unknown) =>
        fetch(server.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect((await post('/v1/runs', { name: 'full', task: 'classification', settings: { pairs: ['fc:fc'], intervals: { groups: 5 } } })).status).toBe(201);
      const m = new KrsMetric({ task: 'classification', pairs: [{ teacher: 'fc', student: 'fc' }], intervals: { groups: 5 } });
      await m.update({ teacher: { fc: rows(40, 120, 1) }, student: { fc: rows(40, 100, 2) }, teacherOutput: rows(40, 10, 3), studentOutput: rows(40, 10, 4) });
      const state = m.toJSON();
      let refused: { status: number; error: { code: string; message: string } } | null = null;
      let stored = 0;
      for (let step = 0; step < 200 && !refused; step++) {
        const r = await post('/v1/runs/full/states', { step, state });
        if (r.status === 201) stored++;
        else refused = { status: r.status, ...((await r.json()) as { error: { code: string; message: string } }) };
      }
      expect(stored).toBeGreaterThan(0);
      expect(refused).toMatchObject({ status: 503, error: { code: 'UNAVAILABLE' } });
      expect(refused!.error.message).toMatch(/store .*(full|SQLITE_FULL)/i);
      expect((await fetch(`${server.url}/v1/health`)).status).toBe(200);
      const w = (await (await fetch(`${server.url}/v1/runs/full/window`)).json()) as { points: number };
      expect(w.points).toBe(stored);
    } finally {
      server.child.kill('SIGKILL');
      await new Promise((res) => (server.child.exitCode !== null || server.child.signalCode !== null ? res(null) : server.child.once('exit', res)));
      spawnSync('umount', [mount]);
      rmSync(mount, { recursive: true, force: true });
    }
  });

  it('an unusable store stops krs serve with exit 4 and one line naming it', { timeout: 600_000 }, async () => {
    const r = spawnSync(process.execPath, [BIN, 'serve', '--store', 'postgres://nobody@127.0.0.1:1/none', '--port', '0'], {
      encoding: 'utf8',
      timeout: 300_000,
    });
    expect(r.status).toBe(4);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/store postgres:\/\/nobody@127\.0\.0\.1:1\/none does not answer/);
  });

  it.skipIf(reason !== null)('PostgreSQL: the same', { timeout: 600_000 }, async () => {
    const schema = uniqueSchema();
    try {
      await crashUnderLoad(`${PG_URL}?schema=${schema}`);
    } finally {
      await dropSchema(PG_URL, schema);
    }
  });
});
