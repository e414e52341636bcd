/**
 * `krs serve`: the live KRS service (run store, `/v1/` API, dashboard, alerts) until Ctrl-C;
 * `krs serve token create` makes an access token; `krs serve openapi` prints the API's
 * OpenAPI document. docs/service.md is the spec, docs/cli.md the options.
 */
import { type Command, Option } from 'commander';
import { errors } from '../core/errors.js';
import { clearInterrupt, interruptRequested } from '../io/interrupt.js';
import { DEFAULT_STORE, normaliseOrigin } from '../serve/defaults.js';
import type { Store } from '../serve/store/types.js';
import { cliIo } from './io.js';

function positiveInt(flag: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw errors.badOption(flag, v, 'a non-negative integer');
    return n;
  };
}

interface ServeFlags {
  store: string;
  host: string;
  port: number;
  auth: string;
  models?: string;
  bodyLimit: number;
  rateLimit: number;
  allowedHost: string[];
  cors: string[];
  retain?: number;
  threads?: number;
}

function positiveNumber(flag: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw errors.badOption(flag, v, 'a positive number');
    return n;
  };
}

function collect(v: string, all: string[]): string[] {
  if (!/^[A-Za-z0-9.*:[\]-]+$/.test(v)) throw errors.badOption('allowed-host', v, 'a host name (letters, digits, dots, hyphens; * for any)');
  return [...all, v];
}

function collectOrigin(v: string, all: string[]): string[] {
  const origin = normaliseOrigin(v);
  if (!origin || origin !== v.replace(/\/+$/, '').toLowerCase())
    throw errors.badOption('cors', v, 'an origin: scheme://host[:port], e.g. https://edge.example.com');
  return [...all, origin];
}

export function registerServe(program: Command): void {
  const serve = program
    .command('serve')
    .description('serve live KRS: a run store, an HTTP API (/v1/), a live dashboard and alerts, until Ctrl-C')
    .option('--store <path|url>', `SQLite file, or postgres://… for a shared PostgreSQL (default ${DEFAULT_STORE})`, DEFAULT_STORE)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port (0: any free port)', positiveInt('port'), 8080)
    .addOption(new Option('--auth <mode>', 'tokens: auto (required unless listening on loopback), on, off').choices(['auto', 'on', 'off']).default('auto'))
    .option('--models <dir>', 'folder of teacher ONNX models runs may name (the server then runs their teacher)')
    .option('--body-limit <mb>', 'largest request body in MiB', positiveInt('body-limit'), 64)
    .option('--rate-limit <n>', 'requests per minute per token or address (0: no limit)', positiveInt('rate-limit'), 6000)
    .option(
      '--allowed-host <name>',
      'a Host name to answer besides loopback names (repeatable; without tokens only these and loopback names are answered)',
      collect,
      [],
    )
    .option('--cors <origin>', 'an origin (scheme://host[:port]) whose browser pages may call the API (repeatable; default none)', collectOrigin, [])
    .option('--retain <days>', 'delete points older than this many days (runs may set their own retainDays; default: keep)', positiveNumber('retain'))
    .option('--threads <n>', 'compute threads (default: one per core)', positiveInt('threads'))
    .action(async (o: ServeFlags) => {
      // Loaded here, not at the top: fastify, the store drivers and the service are only for serve.
      const { startServer } = await import('../serve/server.js');
      const s = await startServer({
        store: o.store,
        host: o.host,
        port: o.port,
        auth: o.auth as 'auto' | 'on' | 'off',
        models: o.models,
        bodyLimit: o.bodyLimit * 1024 * 1024,
        rateLimit: o.rateLimit,
        allowedHosts: o.allowedHost,
        cors: o.cors,
        retainDays: o.retain ?? null,
        threads: o.threads === 0 ? 1 : o.threads,
      });
      const io = cliIo();
      const tokens = await s.store.countTokens();
      io.stdout.write(`krs serve: ${s.url}  (store ${s.store.dialect} ${s.store.location}; tokens ${s.auth ? 'required' : 'not required (loopback)'})\n`);
      if (s.auth && tokens === 0) io.stderr.write(`krs serve: no tokens yet: make one with krs serve token create --store ${o.store} --scope write\n`);
      // Until Ctrl-C / SIGTERM (the CLI turns the signal into an interrupt request).
      await new Promise<void>((resolve) => {
        const t = setInterval(() => {
          if (interruptRequested() !== null) {
            clearInterval(t);
            resolve();
          }
        }, 200);
      });
      const signal = interruptRequested();
      await s.close();
      // A server's normal end: not an interrupted command (exit 0, nothing about files).
      clearInterrupt();
      io.stderr.write(`krs serve: stopped (${signal}); every acknowledged post is committed\n`);
    });
  const token = serve.command('token').description('access tokens of a store');
  token
    .command('create')
    .description('make a token (printed once; the store keeps only its SHA-256)')
    .addOption(new Option('--scope <scope>', 'read or write (write includes read)').choices(['read', 'write']).default('read'))
    .option('--name <name>', 'what the token is for', 'token')
    // --store is serve's own option (commander reads a parent's options after the subcommand too).
    .action(async (_o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals() as { store: string; scope: string; name: string };
      await withStore(o.store, async (store) => {
        const { token: t } = await store.createToken(o.name, o.scope as 'read' | 'write');
        cliIo().stdout.write(`${t}\n`);
      });
    });
  token
    .command('list')
    .description("list a store's tokens: id, scope, name, created (never the tokens)")
    .action(async (_o: unknown, cmd: Command) => {
      await withStore((cmd.optsWithGlobals() as { store: string }).store, async (store) => {
        for (const t of await store.listTokens()) cliIo().stdout.write(`${t.id}\t${t.scope}\t${t.name}\t${t.created}\n`);
      });
    });
  token
    .command('revoke')
    .description('revoke a token by its id (from token list); servers stop taking it within 10 s')
    .argument('<id>', 'the token id', positiveInt('id'))
    .action(async (id: number, _o: unknown, cmd: Command) => {
      await withStore((cmd.optsWithGlobals() as { store: string }).store, async (store) => {
        if (!(await store.revokeToken(id))) throw errors.badOption('id', id, 'the id of a token of this store (krs serve token list)');
        cliIo().stdout.write(`revoked token ${id}\n`);
      });
    });
  serve
    .command('openapi')
    .description('print the OpenAPI document of the /v1/ API')
    .action(async () => {
      cliIo().stdout.write(`${JSON.stringify(await openapiDocument(), null, 2)}\n`);
    });
}

/** Open a store in this thread for one command, and close it. */
async function withStore(location: string, f: (store: Store) => Promise<void>): Promise<void> {
  const { openStore } = await import('../serve/store/store.js');
  const store = await openStore(location, { thread: false });
  try {
    await f(store);
  } finally {
    await store.close();
  }
}

/** The OpenAPI document (built on an in-memory store, computing in this thread; nothing listens). */
export async function openapiDocument(): Promise<unknown> {
  const [{ openStore }, { startComputePool }, { RunService }, { buildApp }] = await Promise.all([
    import('../serve/store/store.js'),
    import('../serve/compute/pool.js'),
    import('../serve/service.js'),
    import('../serve/app.js'),
  ]);
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
