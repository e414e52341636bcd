/**
 * The service's defaults and pure helpers that the `krs serve` option declarations need at
 * parse time. Dependency-free on purpose: the CLI imports this file for every command, so it
 * must not pull in fastify, the store drivers or the service (see `test/cli/lazy-imports.test.ts`).
 */

/** Where `krs serve` keeps its store when `--store` is not given: an SQLite file in the working folder. */
export const DEFAULT_STORE = './krs.db';

/**
 * An origin as browsers send it: `scheme://host[:port]`, lower-case scheme and host, default
 * ports dropped; null for anything that is not an http(s) URL.
 */
export function normaliseOrigin(origin: string): string | null {
  try {
    const u = new URL(origin);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    return `${u.protocol}//${u.host}`;
  } catch {
    return null;
  }
}
