/**
 * The task registry and its contract: every registered TaskSpec is checked here, so a new
 * task (its file and its registry line) is covered by these tests without editing them.
 */
import { describe, expect, it } from 'vitest';
import type { KlAgreementOptions } from '../../src/agreement/classification.js';
import type { DetectionAgreementOptions } from '../../src/agreement/detection.js';
import type { RegressionAgreementOptions } from '../../src/agreement/regression.js';
import type { SegmentationAgreementOptions } from '../../src/agreement/segmentation.js';
import { RESERVED_KEYS } from '../../src/krs/score-captures.js';
import { SIMILARITIES } from '../../src/similarity/registry.js';
import { isTask, TASK_CAPTURE_KEYS, TASKS, taskSpec, taskWithReportSection } from '../../src/tasks/registry.js';
import type { OutputOptions } from '../../src/tasks/spec.js';
import { expectKrsError } from '../helpers/fixtures.js';

describe('task registry', () => {
  it("holds the paper's five task families with their preset α", () => {
    expect(Object.fromEntries(TASKS.map((t) => [t, taskSpec(t).alpha]))).toEqual({
      classification: 0.3,
      detection: 0.7,
      segmentation: 0.7,
      nlp: 0.5,
      regression: 0.5,
    });
  });

  it('nlp and regression use cosine for equal widths and CKA otherwise, with a note', () => {
    expect(taskSpec('nlp').similarityFor(768, 768)).toEqual({ similarity: 'cosine' });
    const r = taskSpec('regression').similarityFor(64, 32);
    expect(r.similarity).toBe('cka');
    expect(r.note).toMatch(/64 ≠ student width 32/);
    expect(taskSpec('classification').similarityFor(64, 64)).toEqual({ similarity: 'cka' });
  });

  it('an unknown task is a usage error naming the option and listing the tasks', async () => {
    await expectKrsError(() => taskSpec('ranking'), 'BAD_OPTION', /task "ranking"/, /classification, detection/);
    expect(isTask('ranking')).toBe(false);
    expect(isTask('toString')).toBe(false);
  });
});

// OutputOptions is derived from the registered tasks' agreements: the four agreements' options, as it was written by hand.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const derived: Same<OutputOptions, KlAgreementOptions & DetectionAgreementOptions & SegmentationAgreementOptions & RegressionAgreementOptions> = true;

describe('what the tasks tell the rest of krs', () => {
  it('OutputOptions is the intersection of the registered agreements’ options (checked by the compiler)', () => {
    expect(derived).toBe(true);
  });
  it('capture keys that are never layers come from the specs (outputs, masks), plus targets, text and ids', () => {
    for (const t of TASKS) {
      const spec = taskSpec(t);
      for (const k of [...spec.outputKeys, ...(spec.maskKey ? [spec.maskKey] : [])]) expect(TASK_CAPTURE_KEYS).toContain(k);
    }
    expect(new Set(TASK_CAPTURE_KEYS).size).toBe(TASK_CAPTURE_KEYS.length);
    // The same keys as the hand-written list they replace, and the samples' text (krs explain shows it).
    expect(new Set(RESERVED_KEYS)).toEqual(
      new Set(['logits', 'probs', 'predictions', 'outputs', 'labels', 'targets', 'text', 'attention_mask', 'ids', 'sample_ids']),
    );
  });
  it("the forecast charts' output keys are those of the task whose report has them", () => {
    const t = taskWithReportSection('forecast');
    expect(t?.reportSections).toContain('forecast');
    expect(t?.outputKeys.length).toBeGreaterThan(0);
  });
});

describe.each(TASKS)('TaskSpec contract: %s', (name) => {
  const spec = taskSpec(name);

  it('is named by its registry key and has a title', () => {
    expect(spec.name).toBe(name);
    expect(spec.title.length).toBeGreaterThan(0);
  });

  it('has α in [0, 1]', () => {
    expect(spec.alpha).toBeGreaterThanOrEqual(0);
    expect(spec.alpha).toBeLessThanOrEqual(1);
  });

  it('chooses registered similarities for equal and different widths', () => {
    for (const [p, q] of [
      [16, 16],
      [16, 8],
    ]) {
      expect(SIMILARITIES).toContain(spec.similarityFor(p!, q!).similarity);
    }
  });

  it('says where its outputs are', () => {
    if (spec.outputSource === 'capture') expect(spec.outputKeys.length).toBeGreaterThan(0);
    else expect(spec.outputKeys).toEqual([]);
  });

  it('names an agreement with metadata, a measure and words for its result', () => {
    const a = spec.agreement;
    expect(a.name).toMatch(/^[a-z-]+$/);
    expect(a.title.length).toBeGreaterThan(0);
    expect(a.description.length).toBeGreaterThan(20);
    expect(a.bounds[0]).toBeLessThan(a.bounds[1]);
    const m = a.measure({});
    expect(typeof m.init).toBe('function');
    expect(m.toJSON(m.init())).toBeTruthy();
  });
});
