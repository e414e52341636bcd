/**
 * The task plug-in contract (docs/architecture.md): a task is one file exporting a
 * {@link TaskSpec} and one line in `registry.ts`. Everything task-specific — the weight α,
 * the default similarity and pooling, where the outputs are and how they agree, what a
 * report says and shows, what `krs eval` measures against targets — is read from the spec;
 * nothing outside src/tasks switches over task names.
 */
import type { AgreementResult, AgreementSpec } from '../agreement/spec.js';
import type { Pooling } from '../similarity/features.js';
import type { Similarity } from '../similarity/registry.js';

/** The similarity a layer pair gets when none is chosen, and why when it depends on the widths. */
export interface SimilarityChoice {
  readonly similarity: Similarity;
  readonly note?: string;
}

/** Where a task's outputs come from. */
export type OutputSource =
  /** An output array of each capture (`outputKeys`). */
  | 'capture'
  /** COCO-results JSON files of detections (features come from separate captures). */
  | 'coco-detections';

/**
 * Options passed through to whichever agreement the task uses (each reads its own): the
 * intersection of every registered task's agreement options, derived in `registry.ts` from the
 * specs — a new task's agreement options join it without an edit here.
 */
export type { OutputOptions } from './registry.js';

/** An agreement's result: the common fields plus its own extras (see each agreement's result type). */
export type OutputResult = AgreementResult & { readonly [extra: string]: unknown };

/** What `krs eval` computes against the data set's targets, when it has them. */
export type TargetMetric = 'accuracy' | 'regression-error';

/** Extra sections a task's report shows beyond the common ones. */
export type ReportSection = 'forecast';

export interface TaskSpec {
  /** The registry key, also the CLI value. */
  readonly name: string;
  /** A human label ("image classification"). */
  readonly title: string;
  /** The preset weight of FSS; AOA gets 1 − α. */
  readonly alpha: number;
  /** The default similarity, in words (for help and docs). */
  readonly similarityText: string;
  /** The similarity of a layer pair of widths p (teacher) and q (student) when none is chosen. */
  similarityFor(p: number, q: number): SimilarityChoice;
  /** Pooling of activations when none is chosen. */
  readonly pool: Pooling;
  /** Capture keys searched, in order, for the model output. */
  readonly outputKeys: readonly string[];
  /** A capture key holding a 0/1 token mask used by `mean` pooling and token-level outputs. */
  readonly maskKey?: string;
  readonly outputSource: OutputSource;
  /** Outputs may also come as folders of PNG label maps. */
  readonly labelMaps: boolean;
  /** The output agreement (AOA); its options type joins {@link OutputOptions}. */
  // biome-ignore lint/suspicious/noExplicitAny: any agreement's options; OutputOptions (registry.ts) is their intersection
  readonly agreement: AgreementSpec<any, AgreementResult>;
  /** What `krs eval` measures against targets; null where it cannot run the task. */
  readonly targetMetric: TargetMetric | null;
  readonly reportSections: readonly ReportSection[];
  /**
   * The layer pairs scored when none is given, from the two captures' array names, or null to
   * pair the layers of the same name (nlp: the last `hidden_states.N` of each side).
   */
  defaultPairs?(teacherKeys: readonly string[], studentKeys: readonly string[]): { teacher: string; student: string }[] | null;
}

/** A fixed similarity, whatever the widths. */
export function always(similarity: Similarity): (p: number, q: number) => SimilarityChoice {
  return () => ({ similarity });
}

/** Cosine for equal widths (the paper's choice for hidden states), CKA otherwise with a note saying why. */
export function cosineIfEqualWidths(task: string): (p: number, q: number) => SimilarityChoice {
  return (p, q) =>
    p === q
      ? { similarity: 'cosine' }
      : {
          similarity: 'cka',
          note: `the ${task} preset uses cosine similarity, which needs equal widths; teacher width ${p} ≠ student width ${q}, so CKA was used`,
        };
}
