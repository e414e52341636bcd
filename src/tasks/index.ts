/** Every task's spec, for the public API. */
export { classification } from './classification.js';
export { detection } from './detection.js';
export { nlp } from './nlp.js';
export { regression } from './regression.js';
export { segmentation } from './segmentation.js';
