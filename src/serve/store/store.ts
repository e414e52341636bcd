/**
 * The run store (docs/service.md §"Store"): one query layer (kysely) over SQLite
 * (better-sqlite3, the default file `./krs.db`) or PostgreSQL (pg, `postgres://…`), same schema
 * and migrations. {@link openStore} runs it on a thread of its own (store/worker.ts) and
 * answers through {@link Store}'s methods; `{ thread: false }` runs it in the calling thread
 * (one-off commands such as `krs serve token create`).
 *
 * Durability: a write returns only after its transaction has committed. SQLite runs in WAL
 * mode with `synchronous = FULL`, so a committed transaction survives a crash of the process
 * and of the machine; PostgreSQL commits with its default `synchronous_commit = on`.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { DEFAULT_STORE } from '../defaults.js';
import { startThread, type Thread, transferables } from '../threads.js';
import { storeOver } from './core.js';
import type { DialectKind } from './migrations.js';
import { describeLocation, isPostgres, openDatabase } from './open.js';
import type { Store } from './types.js';

export { EVENT_CHANNEL, hashToken } from './core.js';
export type * from './types.js';
export { DEFAULT_STORE, describeLocation };

const METHODS: readonly (keyof Store)[] = [
  'createRun',
  'getRun',
  'listRuns',
  'updateRun',
  'deleteRun',
  'summaries',
  'commitPoint',
  'points',
  'lastStates',
  'deletePoints',
  'prune',
  'windowStates',
  'coverStates',
  'seriesRows',
  'bucketMaterial',
  'keepBucket',
  'cacheScores',
  'addRule',
  'rules',
  'deleteRule',
  'events',
  'createToken',
  'tokenScope',
  'listTokens',
  'revokeToken',
  'countTokens',
  'claimDeliveries',
  'settleDelivery',
  'durability',
];

export interface OpenOptions {
  /** Run the store on its own thread (default true). */
  thread?: boolean;
  /** Called when the store's thread dies (the server cannot go on without it). */
  onFailure?: (e: Error) => void;
}

/**
 * Open (creating if needed) and migrate a store.
 * @throws KrsError STORE_UNAVAILABLE naming the store when it cannot be opened or migrated.
 */
export async function openStore(location: string = DEFAULT_STORE, o: OpenOptions = {}): Promise<Store> {
  const instance = randomUUID();
  if (o.thread === false) return storeOver(await openDatabase(location), instance);
  let onPayload: ((payload: string) => void) | null = null;
  const thread = await startThread(new URL('./worker.js', import.meta.url), {
    workerData: { location, instance },
    onEvent: (event, data) => {
      if (event === 'notify') onPayload?.(data as string);
    },
    onFailure: o.onFailure,
  });
  let opened: { dialect: DialectKind; location: string };
  try {
    opened = await thread.call('open', []);
  } catch (e) {
    await thread.terminate();
    throw e;
  }
  return threadStore(thread, opened, instance, (f) => {
    onPayload = f;
  });
}

function threadStore(
  thread: Thread,
  opened: { dialect: DialectKind; location: string },
  instance: string,
  setListener: (f: (p: string) => void) => void,
): Store {
  const methods: Record<string, unknown> = {};
  for (const method of METHODS) methods[method] = (...args: unknown[]) => thread.call('call', [method, args], transferables(args));
  return {
    ...(methods as unknown as Store),
    dialect: opened.dialect,
    location: opened.location,
    instance,
    async listen(onPayload) {
      setListener(onPayload);
      await thread.call('listen', []);
    },
    async close() {
      await thread.call('call', ['close', []]).catch(() => {});
      await thread.terminate();
    },
  };
}

/** Drop a PostgreSQL schema (tests). */
export async function dropSchema(url: string, schema: string): Promise<void> {
  if (!isPostgres(url)) return;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}
