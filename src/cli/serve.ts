/**
 * `krs serve`: the live KRS service (run store, `/v1/` API, dashboard, alerts) until Ctrl-C;
 * `krs serve token create` makes an access token; `krs serve openapi` prints the API's
 * OpenAPI document. docs/service.md is the spec, docs/cli.md the options.
 */
import type { Command } from 'commander';
import { errors } from '../core/errors.js';
import { clearInterrupt, interruptRequested } from '../io/interrupt.js';
import { DEFAULT_STORE, normaliseOrigin } from '../serve/defaults.js';
import type { Store } from '../serve/store/types.js';
import { addFlags, type FlagsOf, flag } from './flag-table.js';
import { cliIo } from './io.js';

/** A whole number ≥ 0. */
function nonNegativeInt(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw errors.badOption(name, v, 'a non-negative integer');
    return n;
  };
}

function positiveNumber(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw errors.badOption(name, v, 'a positive number');
    return n;
  };
}

function collectHost(name: string) {
  return (v: string, all: string[]): string[] => {
    if (!/^[A-Za-z0-9.*:[\]-]+$/.test(v)) throw errors.badOption(name, v, 'a host name (letters, digits, dots, hyphens; * for any)');
    return [...all, v];
  };
}

function collectOrigin(name: string) {
  return (v: string, all: string[]): string[] => {
    const origin = normaliseOrigin(v);
    if (!origin || origin !== v.replace(/\/+$/, '').toLowerCase())
      throw errors.badOption(name, v, 'an origin: scheme://host[:port], e.g. https://edge.example.com');
    return [...all, origin];
  };
}

/** The flags of `krs serve` (`--store` is also read by its `token` subcommands). */
export const SERVE_COMMAND_FLAGS = [
  flag('--store <path|url>', `SQLite file, or postgres://… for a shared PostgreSQL (default ${DEFAULT_STORE})`, { default: DEFAULT_STORE }),
  flag('--host <address>', 'address to listen on', { default: '127.0.0.1' }),
  flag('--port <n>', 'port (0: any free port)', { parse: nonNegativeInt, default: 8080 }),
  flag('--auth <mode>', 'tokens: auto (required unless listening on loopback), on, off', {
    parse: () => (v: string) => v as 'auto' | 'on' | 'off',
    choices: ['auto', 'on', 'off'],
    default: 'auto',
  }),
  flag('--models <dir>', 'folder of teacher ONNX models runs may name (the server then runs their teacher)'),
  flag('--body-limit <mb>', 'largest request body in MiB', { parse: nonNegativeInt, default: 64 }),
  flag('--rate-limit <n>', 'requests per minute per token or address (0: no limit)', { parse: nonNegativeInt, default: 6000 }),
  flag('--allowed-host <name>', 'a Host name to answer besides loopback names (repeatable; without tokens only these and loopback names are answered)', {
    parse: collectHost,
    default: [],
  }),
  flag('--cors <origin>', 'an origin (scheme://host[:port]) whose browser pages may call the API (repeatable; default none)', {
    parse: collectOrigin,
    default: [],
  }),
  flag('--retain <days>', 'delete points older than this many days (runs may set their own retainDays; default: keep)', { parse: positiveNumber }),
  flag('--threads <n>', 'compute threads (default: one per core)', { parse: nonNegativeInt }),
] as const;

type ServeCommandFlags = FlagsOf<typeof SERVE_COMMAND_FLAGS>;

/** The flags of `krs serve token create`. */
const TOKEN_CREATE_FLAGS = [
  flag('--scope <scope>', 'read or write (write includes read)', {
    parse: () => (v: string) => v as 'read' | 'write',
    choices: ['read', 'write'],
    default: 'read',
  }),
  flag('--name <name>', 'what the token is for', { default: 'token' }),
] as const;

export function registerServe(program: Command): void {
  const serve = program.command('serve').description('serve live KRS: a run store, an HTTP API (/v1/), a live dashboard and alerts, until Ctrl-C');
  addFlags(serve, SERVE_COMMAND_FLAGS).action(serveAction);
  registerTokens(serve);
  serve
    .command('openapi')
    .description('print the OpenAPI document of the /v1/ API')
    .action(async () => {
      const { openapiDocument } = await import('../serve/openapi.js');
      cliIo().stdout.write(`${JSON.stringify(await openapiDocument(), null, 2)}\n`);
    });
}

/** `krs serve`: start the server, and stop it on Ctrl-C / SIGTERM with every acknowledged post committed. */
async function serveAction(o: ServeCommandFlags): Promise<void> {
  // Loaded here, not at the top: fastify, the store drivers and the service are only for serve.
  const { startServer } = await import('../serve/server.js');
  const s = await startServer({
    store: o.store,
    host: o.host,
    port: o.port,
    auth: o.auth,
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
}

/** `krs serve token create|list|revoke`; `--store` is serve's own flag (commander reads a parent's options after the subcommand too). */
function registerTokens(serve: Command): void {
  const token = serve.command('token').description('access tokens of a store');
  const create = token.command('create').description('make a token (printed once; the store keeps only its SHA-256)');
  addFlags(create, TOKEN_CREATE_FLAGS).action(async (_o: unknown, cmd: Command) => {
    const o = cmd.optsWithGlobals() as ServeCommandFlags & FlagsOf<typeof TOKEN_CREATE_FLAGS>;
    await withStore(o.store, async (store) => {
      const { token: t } = await store.createToken(o.name, o.scope);
      cliIo().stdout.write(`${t}\n`);
    });
  });
  token
    .command('list')
    .description("list a store's tokens: id, scope, name, created (never the tokens)")
    .action(async (_o: unknown, cmd: Command) => {
      await withStore((cmd.optsWithGlobals() as ServeCommandFlags).store, async (store) => {
        for (const t of await store.listTokens()) cliIo().stdout.write(`${t.id}\t${t.scope}\t${t.name}\t${t.created}\n`);
      });
    });
  token
    .command('revoke')
    .description('revoke a token by its id (from token list); servers stop taking it within 10 s')
    .argument('<id>', 'the token id', nonNegativeInt('id'))
    .action(async (id: number, _o: unknown, cmd: Command) => {
      await withStore((cmd.optsWithGlobals() as ServeCommandFlags).store, async (store) => {
        if (!(await store.revokeToken(id))) throw errors.badOption('id', id, 'the id of a token of this store (krs serve token list)');
        cliIo().stdout.write(`revoked token ${id}\n`);
      });
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
