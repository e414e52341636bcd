/**
 * Flags several commands share, declared once (src/cli/flag-table.ts). A flag whose meaning
 * differs by command (`--teacher` a capture or an ONNX model, `--backend` of a merge) is
 * declared by its command.
 */
import { POOLINGS } from '../similarity/features.js';
import { SIMILARITIES } from '../similarity/registry.js';
import { TASKS } from '../tasks/registry.js';
import { BACKENDS } from './backend.js';
import { flag } from './flag-table.js';
import { oneOf, parseNumber, parsePositiveInt, parseSeedOf, repeated } from './options.js';

export const TASK_FLAG = flag('--task <task>', `task: ${TASKS.join(', ')}`, { parse: oneOf(TASKS), required: true, to: true });
export const PAIR_FLAG = flag('--pair <teacher:student>', 'a layer pair (repeatable); default: layers with the same name in both', {
  parse: repeated,
  to: 'pairs',
});
export const ALPHA_FLAG = flag('--alpha <a>', 'weight of FSS in [0, 1]; default: the task preset', { parse: parseNumber, to: true });
export const BETA_FLAG = flag('--beta <b>', 'weight of AOA; must equal 1 − alpha', { parse: parseNumber, to: true });
export const SIMILARITY_FLAG = flag('--similarity <kind>', `${SIMILARITIES.join(', ')}; default: the task preset`, { parse: oneOf(SIMILARITIES), to: true });
export const POOL_FLAG = flag('--pool <how>', `${POOLINGS.join(', ')}: how activations become vectors (default flatten; mean for nlp)`, {
  parse: oneOf(POOLINGS),
  to: true,
});
export const CHANNELS_LAST_FLAG = flag('--channels-last', 'spatial activations are NHWC, not NCHW', { to: true });
export const IDS_FLAG = flag('--ids <key>', 'array of sample ids in both captures: align samples by id (default: ids or sample_ids when both have it)', {
  to: true,
});
export const BATCH_SIZE_FLAG = flag('--batch-size <n>', 'samples per streamed batch (also the minibatch size of the minibatch estimator)', {
  parse: parsePositiveInt,
  to: true,
});
export const BACKEND_FLAG = flag('--backend <name>', `matrix backend: ${BACKENDS.join(', ')} (default auto)`, { parse: oneOf(BACKENDS) });
export const NULL_SEED_FLAG = flag('--null-seed <n>', "seed of the null level's permutation (default 1)", { parse: parseSeedOf });
export const JSON_FLAG = flag('--json', 'print the result as JSON on stdout');
export const NO_PROGRESS_FLAG = flag('--no-progress', 'no progress bar on stderr');
