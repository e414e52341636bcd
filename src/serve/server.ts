/**
 * Start and stop the whole service: open the store, build the service and the app, listen.
 * What `krs serve` runs, and what tests and the bench start in-process.
 */
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { RunService } from './service.js';
import { openStore, type Store } from './store/store.js';
import { startTeacher } from './teacher.js';
import type { WebhookOptions } from './alerts.js';

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
}

export interface RunningServer {
  url: string;
  app: FastifyInstance;
  service: RunService;
  store: Store;
  auth: boolean;
  close(): Promise<void>;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

export async function startServer(o: ServeOptions = {}): Promise<RunningServer> {
  const host = o.host ?? '127.0.0.1';
  const store = await openStore(o.store);
  const auth = o.auth === 'on' ? true : o.auth === 'off' ? false : !isLoopback(host);
  const service = new RunService({ store, models: o.models, webhook: o.webhook, teacherRunner: startTeacher });
  try {
    await service.listen();
  } catch (e) {
    await store.close();
    throw e;
  }
  const app = await buildApp({ service, auth, bodyLimit: o.bodyLimit, rateLimit: o.rateLimit });
  try {
    await app.listen({ host, port: o.port ?? 8080 });
  } catch (e) {
    await app.close();
    await store.close();
    throw e;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : o.port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}`,
    app,
    service,
    store,
    auth,
    async close() {
      await app.close();
      await service.close();
      await store.close();
    },
  };
}
