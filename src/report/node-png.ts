/**
 * SVG → PNG with resvg (@resvg/resvg-js: Rust, no browser, no system libraries).
 *
 * resvg draws text only with the fonts it is given, and silently leaves text out when none
 * matches, so the font is looked up first and its absence is an error: DejaVu Sans from
 * `$KRS_FONT` (a .ttf file; its directory's -Bold variant is used too), else from the npm
 * package dejavu-fonts-ttf (a dependency of krs), else from Debian's fonts-dejavu-core.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import { errors } from '../core/errors.js';
import { FONT_FAMILY } from './theme.js';

const SYSTEM_DIRS = ['/usr/share/fonts/truetype/dejavu', '/usr/share/fonts/TTF', '/usr/share/fonts/dejavu', '/Library/Fonts', 'C:\\Windows\\Fonts'];

export interface ChartFont {
  /** Font files given to resvg (regular, and bold when found). */
  files: string[];
  /** Where they came from: KRS_FONT, dejavu-fonts-ttf, or a system folder. */
  source: string;
}

let cached: ChartFont | undefined;

/**
 * Find the charts' font.
 * @throws FILE_NOT_FOUND when `KRS_FONT` names a missing file, or no DejaVu Sans is found;
 *   the message lists where it looked and how to provide one.
 */
export function findChartFont(env: NodeJS.ProcessEnv = process.env): ChartFont {
  const explicit = env.KRS_FONT;
  if (explicit) {
    if (!existsSync(explicit)) throw errors.noChartFont([explicit], `KRS_FONT names ${explicit}, which does not exist`);
    const bold = join(dirname(explicit), 'DejaVuSans-Bold.ttf');
    return { files: existsSync(bold) && bold !== explicit ? [explicit, bold] : [explicit], source: 'KRS_FONT' };
  }
  if (cached) return cached;
  const looked: string[] = [];
  try {
    const regular = createRequire(import.meta.url).resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf');
    const bold = join(dirname(regular), 'DejaVuSans-Bold.ttf');
    return (cached = { files: existsSync(bold) ? [regular, bold] : [regular], source: 'dejavu-fonts-ttf' });
  } catch {
    looked.push('the npm package dejavu-fonts-ttf');
  }
  for (const dir of SYSTEM_DIRS) {
    const regular = join(dir, 'DejaVuSans.ttf');
    looked.push(regular);
    if (existsSync(regular)) {
      const bold = join(dir, 'DejaVuSans-Bold.ttf');
      return (cached = { files: existsSync(bold) ? [regular, bold] : [regular], source: dir });
    }
  }
  throw errors.noChartFont(looked, 'DejaVu Sans was not found');
}

export interface PngOptions {
  /** Pixels per SVG pixel (default 2, for sharp text on high-density screens and print). */
  scale?: number;
  font?: ChartFont;
}

/** Rasterise an SVG (as written by render.ts) to PNG bytes. @throws FILE_NOT_FOUND without a font. */
export function svgToPng(svg: string, options: PngOptions = {}): Buffer {
  const font = options.font ?? findChartFont();
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: options.scale ?? 2 },
    background: 'white',
    font: { fontFiles: font.files, loadSystemFonts: false, defaultFontFamily: FONT_FAMILY, sansSerifFamily: FONT_FAMILY },
  });
  return resvg.render().asPng();
}
