#!/usr/bin/env node
/**
 * The `krs` bin: runs {@link runCli} on the process's arguments and streams, with Ctrl-C
 * handlers, and exits with its status. A failing run exits at once (status 2 usage, 3 data,
 * 4 environment, 1 internal, 130 interrupted) — after the run has shut its model workers and
 * sessions down; a successful one lets the event loop drain.
 */
import { processIo } from './io.js';
import { runCli } from './run.js';

const status = await runCli(process.argv.slice(2), processIo(true));
if (status !== 0) process.exit(status);
