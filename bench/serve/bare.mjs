#!/usr/bin/env node
/**
 * The ceiling bench/serve measures `krs serve` against: a bare fastify server (its own process,
 * as krs serve is) whose routes insert one row per request into a table of its own in the
 * *same store* — no parsing of the body, no scoring, no batching:
 *
 *   POST /insert        the body as text (the small-post ceiling)
 *   POST /insert-blob   the body as a blob (the ceiling of a state post of that many bytes)
 *   POST /insert-small  any body received whole, then one small text row (400 B) inserted:
 *                       the batch ceiling (krs stores a batch's small state, not its arrays)
 *   GET  /health        {ok: true}
 *
 * SQLite: the same file, opened with the pragmas the krs store uses (WAL, synchronous = FULL,
 * foreign_keys, busy_timeout), one synchronous insert — its own transaction, one fsync — per
 * request. PostgreSQL: the same database, a schema of its own (`?schema=`), one insert per
 * request through a pg pool of 10 connections (as the krs store's), the blob column stored
 * uncompressed like krs_point.state.
 *
 *     node bench/serve/bare.mjs --store FILE|postgres://…?schema=NAME [--port 0]
 *
 * Prints `bare: http://127.0.0.1:PORT` once it listens.
 */
import { resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import Fastify from 'fastify';
import pg from 'pg';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const store = opt('store');
const port = Number(opt('port', 0));
if (!store) throw new Error('bare.mjs: --store FILE|postgres://… is required');

/** insert(text, blob) → Promise<id> or id. */
let insert;
if (/^postgres(ql)?:\/\//i.test(store)) {
  const url = new URL(store);
  const schema = url.searchParams.get('schema') ?? 'krs_bench_bare';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`bare.mjs: bad schema name ${schema}`);
  url.searchParams.delete('schema');
  const ddl = new pg.Client({ connectionString: url.toString() });
  await ddl.connect();
  await ddl.query(`create schema if not exists "${schema}"`);
  await ddl.query(`create table if not exists "${schema}".bare (id bigserial primary key, received text not null, text text, blob bytea)`);
  await ddl.query(`alter table "${schema}".bare alter column blob set storage external`);
  await ddl.end();
  const pool = new pg.Pool({ connectionString: url.toString(), max: 10, options: `-c search_path=${schema}` });
  pool.on('error', () => {});
  insert = async (text, blob) => {
    const r = await pool.query('insert into bare (received, text, blob) values ($1, $2, $3) returning id', [new Date().toISOString(), text, blob]);
    return Number(r.rows[0].id);
  };
} else {
  const db = new BetterSqlite3(resolve(store));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 10000');
  db.exec('create table if not exists bench_bare (id integer primary key autoincrement, received text not null, text text, blob blob)');
  const stmt = db.prepare('insert into bench_bare (received, text, blob) values (?, ?, ?)');
  insert = (text, blob) => Number(stmt.run(new Date().toISOString(), text, blob).lastInsertRowid);
}

const app = Fastify({ bodyLimit: 64 * 1024 * 1024, logger: false, forceCloseConnections: true });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
const body = (req) => (Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));
app.get('/health', async () => ({ ok: true }));
app.post('/insert', async (req, reply) => reply.status(201).send({ id: await insert(body(req).toString('utf8'), null) }));
app.post('/insert-blob', async (req, reply) => reply.status(201).send({ id: await insert(null, body(req)) }));
const SMALL = 'x'.repeat(400);
app.post('/insert-small', async (req, reply) => reply.status(201).send({ id: await insert(`${body(req).length} ${SMALL}`, null) }));
await app.listen({ host: '127.0.0.1', port });
process.stdout.write(`bare: http://127.0.0.1:${app.server.address().port}\n`);
