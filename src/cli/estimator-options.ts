/** The options that choose how linear CKA is computed, shared by `krs score`, `krs eval` and `krs heatmap`. */
import { parseChoice, parsePositiveNumber } from './options.js';

const MIB = 2 ** 20;

/** `--estimator exact|minibatch`: exact at every width (default), or the minibatch estimator on request. */
export const ESTIMATOR_OPTION = [
  '--estimator <kind>',
  'exact (default: exact linear CKA at every width, by feature-space statistics or sample-space Gram blocks, whichever is cheaper) or minibatch (the minibatch unbiased-HSIC estimator, a different quantity that moves with --batch-size)',
  parseChoice('--estimator', ['exact', 'minibatch'] as const),
] as const;

/** `--memory-budget <MiB>`: what one layer pair's exact statistics or stored rows may take. */
export const MEMORY_BUDGET_OPTION = [
  '--memory-budget <MiB>',
  "memory one layer pair's exact CKA statistics or stored rows may take, in MiB (default 4096)",
  (v: string) => parsePositiveNumber('--memory-budget')(v) * MIB,
] as const;
