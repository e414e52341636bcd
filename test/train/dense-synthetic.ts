/**
 * Small synthetic "scenes" for the dense-network tests (until the digit scenes are used):
 * 1–3 rectangles per canvas, class k drawn as a rectangle whose rows alternate in brightness
 * with period k + 2 (so the class is visible in the texture), boxes and per-pixel labels
 * (0 background, class k → k + 1) from the pixels drawn. Seeded.
 */
import { createRng } from '../../src/core/rng.js';
import type { DenseDataset } from '../../src/train/dense/data.js';
import type { BoxObject } from '../../src/train/dense/det-targets.js';

export function syntheticScenes(n: number, seed: number, size = 48, classes = 10): DenseDataset {
  const rng = createRng(seed, 'synthetic-scenes');
  const images = new Float32Array(n * size * size);
  const labels = new Uint8Array(n * size * size);
  const objects: BoxObject[][] = [];
  for (let i = 0; i < n; i++) {
    const list: BoxObject[] = [];
    const count = 1 + rng.int(3);
    for (let k = 0; k < count; k++) {
      const cls = rng.int(classes);
      const w = 8 + rng.int(13);
      const h = 8 + rng.int(13);
      const x = rng.int(size - w + 1);
      const y = rng.int(size - h + 1);
      for (let yy = y; yy < y + h; yy++) {
        for (let xx = x; xx < x + w; xx++) {
          const at = i * size * size + yy * size + xx;
          images[at] = Math.floor((yy - y) / 1) % (cls + 2) === 0 ? 1 : 0.4;
          labels[at] = cls + 1;
        }
      }
      list.push({ classIndex: cls, bbox: [x, y, w, h] });
    }
    objects.push(list);
  }
  return { n, height: size, width: size, images, ids: Array.from({ length: n }, (_, i) => String(i + 1)), objects, labels };
}
