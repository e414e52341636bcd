/**
 * What a model's output array holds, as the `--teacher-outputs`/`--student-outputs` options
 * name it. Its own dependency-free file so option declarations need not load the ONNX runtime.
 */

/** How a model's output array is read. `sigmoid`: element-wise sigmoid scores (turned back into logits). */
export type OutputKind = 'logits' | 'probs' | 'sigmoid';

/** Every {@link OutputKind}, in the order help texts list them. */
export const OUTPUT_KINDS: readonly OutputKind[] = ['logits', 'probs', 'sigmoid'];
