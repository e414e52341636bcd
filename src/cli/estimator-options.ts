/** The flags that choose how linear CKA is computed, shared by `krs score`, `krs eval` and `krs heatmap`. */
import { flag } from './flag-table.js';
import { oneOf, parsePositiveInt, parsePositiveNumber } from './options.js';

const MIB = 2 ** 20;

/** `--estimator exact|minibatch`: exact at every width (default), or the minibatch estimator on request. */
export const ESTIMATOR_FLAG = flag(
  '--estimator <kind>',
  'exact (default: exact linear CKA at every width, by feature-space statistics or sample-space Gram blocks, whichever is cheaper) or minibatch (the minibatch unbiased-HSIC estimator, a different quantity that moves with --batch-size)',
  { parse: oneOf(['exact', 'minibatch'] as const), to: true },
);

/** `--gram-block <rows>`: rows per block of the sample-space Gram pass (and per unit of a shard's share of it). */
export const GRAM_BLOCK_FLAG = flag(
  '--gram-block <rows>',
  'rows per block of the sample-space route of exact CKA (default 1024; smaller blocks use less memory per product and split a sharded Gram pass finer)',
  { parse: parsePositiveInt, to: true },
);

/** `--memory-budget <MiB>`: the memory a run may take (docs/formulas.md §"Memory budget of a run"), as bytes. */
export const MEMORY_BUDGET_FLAG = flag(
  '--memory-budget <MiB>',
  "memory the run may take, in MiB (default 4096): every layer pair's exact CKA statistics or stored rows (float64 at 8 bytes a value), the null level's, the arrays read whole; krs score prices it before reading",
  {
    parse: (name) => {
      const mib = parsePositiveNumber(name);
      return (v: string) => mib(v) * MIB;
    },
    to: true,
  },
);
