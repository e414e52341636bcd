import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importGraph, nodeOnlyImports } from '../helpers/imports.js';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

describe('krs/report runs in a browser', () => {
  it('src/report/index.ts reaches no Node-only module and no native package', () => {
    const graph = importGraph(`${SRC}report/index.ts`);
    expect([...graph.keys()].some((f) => f.endsWith('render.ts'))).toBe(true);
    expect(nodeOnlyImports(graph, SRC)).toEqual([]);
  });
});
