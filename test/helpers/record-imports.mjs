/**
 * `node --import <this file> …` records the URL of every module the ESM loader loads (one
 * per line, appended to the file named by KRS_IMPORT_LOG): the evidence of which modules a
 * command pulled in. CommonJS packages show up by their entry file (the one imported from
 * ESM); what they `require` inside is not listed, which is enough to tell whether a package
 * was loaded at all.
 */
import { register } from 'node:module';

register('./record-imports-hooks.mjs', import.meta.url);
