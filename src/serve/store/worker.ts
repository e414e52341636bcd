/**
 * The store's thread (docs/service.md §"Threads"): it opens the database and answers the
 * {@link Store} methods, so that SQLite's synchronous queries and every commit's fsync — and
 * the merging of bucket states — never run on the server's event loop. PostgreSQL events from
 * other processes are sent to the main thread as `notify` events.
 */
import { workerData } from 'node:worker_threads';
import { moving, serveThread } from '../threads.js';
import { storeOver } from './core.js';
import { openDatabase } from './open.js';
import type { Store } from './types.js';

const { location, instance } = workerData as { location: string; instance: string };
let store: Store | null = null;
let opening: Promise<Store> | null = null;

const emit = serveThread({
  ping: () => true,
  async open() {
    opening ??= openDatabase(location).then((o) => {
      store = storeOver(o, instance);
      return store;
    });
    const s = await opening;
    return { dialect: s.dialect, location: s.location };
  },
  async listen() {
    await store!.listen((payload) => emit('notify', payload));
  },
  async call(method: keyof Store, args: unknown[]) {
    const fn = store![method] as (...a: unknown[]) => unknown;
    return moving(await fn.apply(store, args));
  },
});
