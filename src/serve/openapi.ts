/**
 * The OpenAPI document of the `/v1/` API (`krs serve openapi`; committed as docs/openapi.json):
 * the app built on an in-memory store, computing in this thread, asked for its swagger
 * document; nothing listens.
 */
import { buildApp } from './app.js';
import { startComputePool } from './compute/pool.js';
import { RunService } from './service.js';
import { openStore } from './store/store.js';

/** The OpenAPI document, as the routes and their schemas (src/serve/schemas.ts) declare it. */
export async function openapiDocument(): Promise<unknown> {
  const store = await openStore(':memory:', { thread: false });
  const compute = await startComputePool(0);
  const service = new RunService({ store, compute });
  const app = await buildApp({ service, rateLimit: 0 });
  try {
    await app.ready();
    return app.swagger();
  } finally {
    await app.close();
    await service.close();
    await store.close();
  }
}
