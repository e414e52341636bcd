/**
 * `nlp` — language models and text classifiers: α = 0.5; hidden states mean-pooled over tokens
 * (honouring `attention_mask`), cosine when widths match (else CKA), KL agreement of logits
 * (token-level logits masked the same way).
 *
 * Captures written from Hugging Face transformers' `output_hidden_states=True` name their
 * layers `hidden_states.0` (the embeddings) … `hidden_states.N` (the last layer). When both
 * captures have such layers and no pair is given, the pair scored is the last of each side —
 * the paper's FSS from the last hidden states — whatever the two depths (a 12-layer teacher's
 * `hidden_states.12` against a 6-layer student's `hidden_states.6`).
 */
import { klAgreementSpec } from '../agreement/classification.js';
import { cosineIfEqualWidths, type TaskSpec } from './spec.js';

/** A layer name of transformers' `output_hidden_states`, as captured. */
const HIDDEN_STATE = /^hidden_states\.(\d+)$/;

/** The `hidden_states.N` of the largest N among `keys`, or null when there is none. */
export function lastHiddenState(keys: readonly string[]): string | null {
  let best: { key: string; layer: number } | null = null;
  for (const key of keys) {
    const m = HIDDEN_STATE.exec(key);
    if (m && (best === null || Number(m[1]) > best.layer)) best = { key, layer: Number(m[1]) };
  }
  return best?.key ?? null;
}

/** The last hidden states of both sides as the one pair, or null when a side has no `hidden_states.N`. */
export function lastHiddenStatePairs(teacherKeys: readonly string[], studentKeys: readonly string[]): { teacher: string; student: string }[] | null {
  const teacher = lastHiddenState(teacherKeys);
  const student = lastHiddenState(studentKeys);
  return teacher && student ? [{ teacher, student }] : null;
}

export const nlp = {
  name: 'nlp',
  title: 'NLP',
  alpha: 0.5,
  similarityText: 'cosine when teacher and student widths match, else cka',
  similarityFor: cosineIfEqualWidths('nlp'),
  pool: 'mean',
  outputKeys: ['logits', 'probs'],
  maskKey: 'attention_mask',
  outputSource: 'capture',
  labelMaps: false,
  agreement: klAgreementSpec,
  targetMetric: 'accuracy',
  reportSections: [],
  defaultPairs: lastHiddenStatePairs,
} satisfies TaskSpec;
