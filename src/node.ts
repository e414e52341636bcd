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
