/**
 * PNG label maps for segmentation: one H×W image per input whose pixel values are class
 * ids (docs/data-model.md §"Label maps (PNG)"), as data sets such as Pascal VOC (palette PNGs) and Cityscapes or
 * ADE20K (greyscale PNGs) store them.
 *
 * * palette (colour type 3, 1–8 bits): the label is the palette INDEX, not its colour;
 * * greyscale (colour type 0): 8-bit → uint8, 16-bit → uint16; 1/2/4-bit values are
 *   unpacked but not rescaled (a 1-bit map holds labels 0 and 1).
 * RGB, RGBA and greyscale+alpha images are rejected: a colour image needs the data
 * set's colour-to-class table, which krs does not guess.
 */
import { errors } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import type { LimitOptions } from './limits.js';
import { COLOR_TYPE_NAMES, decodePng } from './png.js';

/**
 * Decode a PNG label map to an H×W tensor of class ids (uint8, or uint16 for 16-bit greyscale).
 * @param name file name for error messages
 * @param limits resource limits (`maxImagePixels`, checked before inflating)
 * @throws KrsError BAD_FILE for a corrupt or truncated PNG, or one that is not palette or
 *   greyscale; BAD_VALUE for an image larger than `maxImagePixels`.
 * @example decodeLabelMap(bytes, 'val/0001.png').shape // [512, 1024]
 */
export function decodeLabelMap(bytes: Uint8Array, name: string, limits: LimitOptions = {}): Tensor {
  const img = decodePng(
    bytes,
    name,
    (h) => {
      if (h.colorType !== 0 && h.colorType !== 3) {
        throw errors.badFile(
          name,
          `is a ${COLOR_TYPE_NAMES[h.colorType]} PNG; a label map must be a palette (indexed) or greyscale PNG whose pixel values are class ids`,
        );
      }
    },
    limits,
  );
  return { dtype: img.bitDepth === 16 ? 'uint16' : 'uint8', shape: [img.height, img.width], data: img.samples };
}
