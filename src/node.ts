/**
 * The Node-only additions to the public API: files, ONNX Runtime, the fast matrix backend.
 * Import from `krs/node`; everything in `krs` is re-exported here too.
 */
export * from './index.js';
export { fileSource } from './io/node-source.js';
export { openCapture, type OpenCaptureOptions } from './io/node-capture.js';
export { readCocoResults } from './io/node-coco.js';
export { readLabelMap, readLabelMapFolder } from './io/node-label-map.js';
export { createOrtBackend, type OrtBackend, type OrtBackendOptions } from './runtime/ort-backend.js';
export { NpzWriter } from './io/node-npz-writer.js';
export { loadModel, type LoadedModel } from './runtime/node-onnx.js';
export { listLayers, type LayersResult } from './runtime/inspect.js';
export { runCapture, type CaptureOptions, type CaptureResult } from './runtime/capture-run.js';
export { runEval, resolvePair, type EvalOptions, type EvalResult } from './runtime/eval.js';
export { openDataset, type DatasetOptions } from './runtime/data/open.js';
export { mnistDataset, loadMnist, MNIST_SIZE } from './runtime/data/mnist.js';
export { readExperimentsTable, parseExperimentsCsv } from './analysis/node-experiments.js';
