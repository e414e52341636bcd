import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../../src/version.js';
import { importGraph, nodeOnlyImports } from '../helpers/imports.js';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

describe('the core library runs in a browser', () => {
  it('src/index.ts reaches no Node-only module and no native package', () => {
    const graph = importGraph(`${SRC}index.ts`);
    expect(graph.size).toBeGreaterThan(20);
    const offenders = nodeOnlyImports(graph, SRC);
    expect(offenders).toEqual([]);
  });
  it('VERSION matches package.json', () => {
    const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8'));
    expect(VERSION).toBe(pkg.version);
  });
});
