/**
 * Text widths for chart layout, from the advance widths of DejaVu Sans (the charts' font).
 *
 * Vega sizes axes, legends and titles from text widths. Without a canvas it guesses
 * 0.8 em per character, which over-reserves for narrow text and truncates wide text; with
 * a canvas the result would depend on the machine's fonts. This table makes the layout
 * identical everywhere and right for the font the PNGs are drawn with. Kerning is ignored
 * (a fraction of a pixel per label).
 */
import { DEJAVU_SANS, DEJAVU_SANS_BOLD, UNITS_PER_EM, type WidthRanges } from './font-metrics.js';

/** Width of a glyph the table lacks: DejaVu Sans' digit width (0.64 em). */
const FALLBACK = 1303;

function lookup(table: WidthRanges): (cp: number) => number {
  const map = new Map<number, number>();
  for (const [start, widths] of table) widths.forEach((w, i) => w !== null && map.set(start + i, w));
  return (cp) => map.get(cp) ?? FALLBACK;
}

const regular = lookup(DEJAVU_SANS);
const bold = lookup(DEJAVU_SANS_BOLD);

/** Is a CSS font weight bold (≥ 600, 'bold', 'bolder')? */
function isBold(weight: unknown): boolean {
  if (typeof weight === 'number') return weight >= 600;
  if (typeof weight === 'string') return weight === 'bold' || weight === 'bolder' || Number(weight) >= 600;
  return false;
}

/**
 * Width in pixels of one line of text in DejaVu Sans.
 * @example textWidth('KRS', 11) // ≈ 21.4
 */
export function textWidth(text: string, fontSize: number, boldFace = false): number {
  const w = boldFace ? bold : regular;
  let units = 0;
  for (const ch of text) units += w(ch.codePointAt(0)!);
  return (units * fontSize) / UNITS_PER_EM;
}

interface TextItem {
  fontSize?: number | string | null;
  fontWeight?: unknown;
}

/**
 * The function vega calls as `textMetrics.width(item, text)`: the item's font size and weight
 * applied to one line of its text (trimmed, as vega measures it).
 */
export function vegaTextWidth(item: TextItem, text: unknown): number {
  const size = item.fontSize != null ? Number(item.fontSize) || 0 : 11;
  const line = text == null ? '' : String(text).trim();
  return size <= 0 || !line ? 0 : textWidth(line, size, isBold(item.fontWeight));
}

/**
 * Break text into lines no wider than `maxWidth` pixels, at spaces (a word longer than the
 * width gets a line of its own).
 * @example wrapText('FitNet hint (hidden2) + KD, T=4', 120, 12, true) // ['FitNet hint', '(hidden2) + KD,', 'T=4']
 */
export function wrapText(text: string, maxWidth: number, fontSize: number, boldFace = false): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const next = line ? `${line} ${word}` : word;
    if (line && textWidth(next, fontSize, boldFace) > maxWidth) {
      lines.push(line);
      line = word;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines.length ? lines : [''];
}
