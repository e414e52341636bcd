/**
 * Measure states are written and read exactly as before their declarations existed: the JSON
 * text of every agreement and similarity state (empty, after a batch, merged, merged with an
 * empty state) and of a whole KrsMetric is pinned in test/fixtures/states/states-v1.json, and
 * the pinned text restores to a state that writes the same text again.
 */
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KrsMetric } from '../../src/krs/metric.js';
import { goldenCases, goldenText } from './state-golden.js';

const pinned = JSON.parse(fs.readFileSync(new URL('../fixtures/states/states-v1.json', import.meta.url), 'utf8')) as Record<string, string>;
const cases = goldenCases();

describe('pinned measure states (test/fixtures/states/states-v1.json)', () => {
  it('every case is pinned and every pinned state has a case', () => {
    expect(cases.map((c) => c.name).sort()).toEqual(Object.keys(pinned).sort());
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s: written byte for byte as pinned, and read back', async (name, c) => {
    expect(await goldenText(c)).toBe(pinned[name]);
    const json = JSON.parse(pinned[name]!);
    const again = name.startsWith('krs-metric/')
      ? JSON.stringify(KrsMetric.fromJSON(json).toJSON())
      : JSON.stringify(c.measure().toJSON(c.measure().fromJSON(json)));
    expect(again).toBe(pinned[name]);
  });
});
