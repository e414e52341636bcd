/**
 * Node's native CRC-32 for the zip reader (src/io/crc32.ts): importing this module registers
 * `zlib.crc32` (Node ≥ 20.15; older versions keep the JavaScript one). The Node entry points
 * import it for its effect; the browser-safe parsers never do.
 */
import * as zlib from 'node:zlib';
import { useNativeCrc32 } from './crc32.js';

const native = (zlib as { crc32?: (data: Uint8Array, value: number) => number }).crc32;
if (typeof native === 'function') useNativeCrc32(native);
