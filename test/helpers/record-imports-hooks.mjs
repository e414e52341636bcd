/** The loader hooks of `record-imports.mjs`: append each loaded module's URL to KRS_IMPORT_LOG. */
import { appendFileSync } from 'node:fs';

const log = process.env.KRS_IMPORT_LOG;

export async function load(url, context, nextLoad) {
  if (log) appendFileSync(log, `${url}\n`);
  return nextLoad(url, context);
}
