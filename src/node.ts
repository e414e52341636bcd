/**
 * The Node-only additions to the public API: files, ONNX Runtime, the fast matrix backend.
 * Import from `krs/node`; everything in `krs` is re-exported here too.
 */

export { parseExperimentsCsv, readExperimentsTable } from './analysis/node-experiments.js';
export * from './index.js';
export { type OpenCaptureOptions, openCapture } from './io/node-capture.js';
export { readCocoResults } from './io/node-coco.js';
export { readLabelMap, readLabelMapFolder } from './io/node-label-map.js';
export { NpzWriter } from './io/node-npz-writer.js';
export { fileSource } from './io/node-source.js';
export { type CaptureOptions, type CaptureResult, runCapture } from './runtime/capture-run.js';
export { loadMnist, MNIST_SIZE, mnistDataset } from './runtime/data/mnist.js';
export { type DatasetOptions, openDataset } from './runtime/data/open.js';
export { type EvalOptions, type EvalResult, resolvePair, runEval } from './runtime/eval.js';
export { type LayersResult, listLayers } from './runtime/inspect.js';
export { type LoadedModel, loadModel } from './runtime/node-onnx.js';
export { createOrtBackend, type OrtBackend, type OrtBackendOptions } from './runtime/ort-backend.js';
