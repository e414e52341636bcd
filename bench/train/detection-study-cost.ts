/**
 * CPU cost of the detection study (not a test; run by hand):
 *
 *     npx tsx bench/train/detection-study-cost.ts [quick|full] [trainScenes]
 *
 * Runs the study into /tmp/det-study-cost and prints, per stage line, the wall seconds and the
 * process's CPU-seconds so far (the idle-machine cost when other processes share the cores).
 */

import { runDetectionStudy } from '../../src/train/detection-study.js';
import { detectionStudyConfig } from '../../src/train/detection-study-config.js';

const t0 = performance.now();
const c0 = process.cpuUsage();
const config = detectionStudyConfig({ quick: process.argv[2] !== 'full', ...(process.argv[3] ? { trainScenes: Number(process.argv[3]) } : {}) });
await runDetectionStudy(config, {
  out: '/tmp/det-study-cost',
  onEvent: (e) => {
    if (e.type !== 'stage') return;
    const c = process.cpuUsage(c0);
    console.log(`${((performance.now() - t0) / 1000).toFixed(1)} s wall  ${((c.user + c.system) / 1e6).toFixed(1)} CPU-s  ${e.message}`);
  },
});
