/**
 * Start and stop the whole service: the store's thread, the compute pool, the service, the
 * app; listen. What `krs serve` runs, and what tests and the bench start in-process.
 */
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { type ComputePool, startComputePool } from './compute/pool.js';
import type { WebhookOptions } from './outbox.js';
import { RunService } from './service.js';
import { openStore } from './store/store.js';
import type { Store } from './store/types.js';
import { startTeacher } from './teacher.js';

export interface ServeOptions {
  store?: string;
  host?: string;
  /** 0: any free port. */
  port?: number;
  /** `auto` (default): tokens required unless the host is a loopback address. */
  auth?: 'auto' | 'on' | 'off';
  models?: string;
  bodyLimit?: number;
  rateLimit?: number;
  webhook?: WebhookOptions;
  /** Host names answered besides loopback names. */
  allowedHosts?: readonly string[];
  /** Origins allowed to call the API from a browser. */
  cors?: readonly string[];
  /** Days points are kept unless their run says otherwise (default: for ever). */
  retainDays?: number | null;
  /** Compute threads (default: one per core; 0 computes on the event loop, for tests only). */
  threads?: number;
  /** Called when a service thread dies: the server cannot go on (default: print and exit 1). */
  onFailure?: (e: Error) => void;
}

export interface RunningServer {
  url: string;
  app: FastifyInstance;
  service: RunService;
  store: Store;
  compute: ComputePool;
  auth: boolean;
  close(): Promise<void>;
}

/** Whether a listening address is a loopback one (127.0.0.0/8, `localhost`, `::1`). */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

function threadDied(e: Error): void {
  process.stderr.write(`krs serve: a service thread failed (${e.message}); stopping\n`);
  process.exit(1);
}

export async function startServer(o: ServeOptions = {}): Promise<RunningServer> {
  const host = o.host ?? '127.0.0.1';
  const onFailure = o.onFailure ?? threadDied;
  const store = await openStore(o.store, { onFailure });
  const compute = await startComputePool(o.threads, { onFailure }).catch(async (e) => {
    await store.close();
    throw e;
  });
  const auth = o.auth === 'on' ? true : o.auth === 'off' ? false : !isLoopback(host);
  const service = new RunService({ store, compute, models: o.models, webhook: o.webhook, retainDays: o.retainDays ?? null, teacherRunner: startTeacher });
  let app: FastifyInstance | null = null;
  const close = async () => {
    await app?.close();
    await service.close();
    await compute.close();
    await store.close();
  };
  try {
    await service.start();
    app = await buildApp({ service, auth, bodyLimit: o.bodyLimit, rateLimit: o.rateLimit, allowedHosts: o.allowedHosts, cors: o.cors });
    await app.listen({ host, port: o.port ?? 8080 });
  } catch (e) {
    await close();
    throw e;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : o.port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return { url: `http://${shown}:${port}`, app, service, store, compute, auth, close };
}
