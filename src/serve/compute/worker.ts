/** A compute thread of `krs serve` (compute/pool.ts): runs compute/tasks.ts, moving bytes and arrays back instead of copying. */
import '../../io/node-crc32.js';
import { moving, serveThread } from '../threads.js';
import { compareRuns, ingestBatch, ingestState, mergeToBytes, renderChart, scoreBatch, scoreStates } from './tasks.js';

serveThread({
  ping: () => true,
  ingestBatch: async (...a: Parameters<typeof ingestBatch>) => moving(await ingestBatch(...a)),
  ingestState: async (...a: Parameters<typeof ingestState>) => moving(await ingestState(...a)),
  scoreBatch: async (...a: Parameters<typeof scoreBatch>) => moving(await scoreBatch(...a)),
  scoreStates,
  mergeToBytes: (...a: Parameters<typeof mergeToBytes>) => moving(mergeToBytes(...a)),
  compareRuns,
  renderChart,
});
