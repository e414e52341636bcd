import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../src/cli/run.js';

/** The built bin (dist/, built by the global setup when the sources are newer). */
export const KRS_BIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Run `krs` with arguments in this process (`runCli` from the sources), collecting what it
 * writes to stdout and stderr: the same output and exit status as the bin, without starting
 * Node. stderr is not a terminal, so no redrawn progress bars; no signal handlers.
 */
export async function krs(...args: string[]): Promise<CliRun> {
  return krsWithEnv({}, ...args);
}

/** {@link krs} with variables added to the process's environment (e.g. a token). */
export async function krsWithEnv(env: Readonly<Record<string, string | undefined>>, ...args: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const status = await runCli(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
    env: { ...process.env, ...env },
  });
  return { status, stdout, stderr };
}

/**
 * Run the built bin in a new Node process — for what only a real process shows: the bin
 * itself, exit statuses at the process level, signals.
 */
export function krsProcess(...args: string[]): CliRun {
  const r = spawnSync(process.execPath, [KRS_BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
