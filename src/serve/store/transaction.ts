/**
 * Transactions and database failures of the store.
 *
 * {@link transaction} runs `fn` on one connection between BEGIN (SQLite: `BEGIN IMMEDIATE`,
 * taking the write lock at once) and COMMIT, and on failure rolls back and rethrows the
 * *original* error: SQLite rolls a transaction back by itself on a full disk or an I/O error,
 * and a later ROLLBACK then fails with "no transaction is active", which must not hide the
 * cause.
 *
 * {@link storeFailure} turns what the database says when it cannot work — a full disk, an I/O
 * error, a read-only file, a lost or refused connection, a server shutting down — into a
 * STORE_UNAVAILABLE KrsError naming the store and the cause (the API answers it 503
 * UNAVAILABLE; the CLI exits 4). Other errors pass unchanged.
 */
import { type Kysely, sql } from 'kysely';
import { errors, KrsError } from '../../core/errors.js';
import type { DialectKind } from './migrations.js';
import type { Database } from './schema.js';

export type Tx = Kysely<Database>;

export async function transaction<T>(db: Kysely<Database>, dialect: DialectKind, fn: (trx: Tx) => Promise<T>): Promise<T> {
  return db.connection().execute(async (conn) => {
    await sql.raw(dialect === 'sqlite' ? 'begin immediate' : 'begin').execute(conn);
    let result: T;
    try {
      result = await fn(conn);
      await sql.raw('commit').execute(conn);
    } catch (e) {
      await sql
        .raw('rollback')
        .execute(conn)
        .catch(() => {});
      throw e;
    }
    return result;
  });
}

/** SQLite result codes and PostgreSQL SQLSTATE classes that mean the store cannot work now. */
const SQLITE_UNAVAILABLE = /^SQLITE_(FULL|IOERR|READONLY|CANTOPEN|NOTADB|CORRUPT|NOMEM|BUSY|LOCKED|PROTOCOL)/;
const PG_UNAVAILABLE = /^(53|08|57P|58)/;
const NET_UNAVAILABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'ENOSPC', 'EIO', 'EROFS']);

/** The error a database failure is, for the store at `location` (unchanged when it is not one). */
export function storeFailure(e: unknown, location: string): unknown {
  if (e instanceof KrsError) return e;
  const err = e as { code?: unknown; message?: unknown };
  const code = typeof err?.code === 'string' ? err.code : '';
  const message = typeof err?.message === 'string' ? err.message.split('\n')[0]! : String(e);
  const lost = /Connection terminated|connection is closed|Client has encountered a connection error/i.test(message);
  if (SQLITE_UNAVAILABLE.test(code) || PG_UNAVAILABLE.test(code) || NET_UNAVAILABLE.has(code) || lost)
    return errors.storeUnavailable(location, `cannot be used now: ${message}${code && !message.includes(code) ? ` (${code})` : ''}`);
  return e;
}
