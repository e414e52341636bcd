/**
 * `krs serve`: the live KRS service (run store, `/v1/` API, dashboard, alerts) until Ctrl-C;
 * `krs serve token create` makes an access token; `krs serve openapi` prints the API's
 * OpenAPI document. docs/service.md is the spec, docs/cli.md the options.
 */
import { type Command, Option } from 'commander';
import { errors } from '../core/errors.js';
import { clearInterrupt, interruptRequested } from '../io/interrupt.js';
import { buildApp } from '../serve/app.js';
import { startServer } from '../serve/server.js';
import { RunService } from '../serve/service.js';
import { DEFAULT_STORE, openStore } from '../serve/store/store.js';
import { cliIo } from './io.js';

function positiveInt(flag: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw errors.badOption(flag, v, 'a non-negative integer');
    return n;
  };
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
    .action(async (o: { store: string; host: string; port: number; auth: string; models?: string; bodyLimit: number; rateLimit: number }) => {
      const s = await startServer({
        store: o.store,
        host: o.host,
        port: o.port,
        auth: o.auth as 'auto' | 'on' | 'off',
        models: o.models,
        bodyLimit: o.bodyLimit * 1024 * 1024,
        rateLimit: o.rateLimit,
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
      const store = await openStore(o.store);
      try {
        const { token: t } = await store.createToken(o.name, o.scope as 'read' | 'write');
        cliIo().stdout.write(`${t}\n`);
      } finally {
        await store.close();
      }
    });
  serve
    .command('openapi')
    .description('print the OpenAPI document of the /v1/ API')
    .action(async () => {
      cliIo().stdout.write(`${JSON.stringify(await openapiDocument(), null, 2)}\n`);
    });
}

/** The OpenAPI document (built on an in-memory store; nothing listens). */
export async function openapiDocument(): Promise<unknown> {
  const store = await openStore(':memory:');
  const app = await buildApp({ service: new RunService({ store }), rateLimit: 0 });
  try {
    await app.ready();
    return app.swagger();
  } finally {
    await app.close();
    await store.close();
  }
}
