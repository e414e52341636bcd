/**
 * The look shared by every chart: font, colours and the Vega-Lite config.
 *
 * Font: DejaVu Sans. The PNG renderer loads it from the npm package dejavu-fonts-ttf (see
 * node-png.ts); text layout uses its advance widths (text-width.ts). In the HTML report the
 * SVGs name the font first and fall back to Verdana, whose metrics are close (both descend
 * from Bitstream Vera's proportions), then to any sans-serif.
 */
import type { Config } from 'vega-lite';

export const FONT_FAMILY = 'DejaVu Sans';
export const FONT_STACK = "'DejaVu Sans', Verdana, 'Bitstream Vera Sans', sans-serif";

/** Okabe–Ito colours (distinguishable with colour-vision deficiency). */
export const COLORS = {
  fss: '#0072B2',
  aoa: '#E69F00',
  krs: '#009E73',
  pre: '#A8A8A8',
  post: '#0072B2',
  ink: '#222222',
  muted: '#666666',
  rule: '#444444',
} as const;

/** Categorical palette for series (tasks, students, experiments). */
export const SERIES = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#D55E00', '#56B4E9', '#F0E442', '#000000'];

/** A series' colour by its label. */
export type ColorOf = (label: string) => string;

/** What identifies a series across a report's charts: its label up to " (", e.g. `kd-T4` of `kd-T4 (vanilla KD, T=4)`. */
const seriesIdentity = (label: string): string => label.replace(/ \(.*$/, '');

/**
 * The colours of a report's series (students), fixed once for the whole report: the i-th
 * identity of `labels` gets the i-th palette colour, in every chart, whatever subset or label
 * form (`kd-T4` or `kd-T4 (vanilla KD, T=4)`) a chart draws. Unknown labels get the palette
 * by their position after the known ones.
 */
export function seriesColors(labels: readonly string[]): ColorOf {
  const ids = [...new Set(labels.map(seriesIdentity))];
  return (label) => {
    const k = ids.indexOf(seriesIdentity(label));
    return SERIES[(k < 0 ? ids.push(seriesIdentity(label)) - 1 : k) % SERIES.length]!;
  };
}

/** A colour scale for these labels: by `colorOf` when given, else the palette in the labels' order. */
export function seriesScale(labels: readonly string[], colorOf?: ColorOf): { domain: string[]; range: string[] } {
  return { domain: [...labels], range: labels.map((l, i) => (colorOf ? colorOf(l) : SERIES[i % SERIES.length]!)) };
}

/** Sequential scheme of the CKA heatmaps (domain fixed to [0, 1]). */
export const CKA_SCHEME = 'viridis';
/** Diverging scheme of the Δ heatmap (centred on 0). */
export const DELTA_SCHEME = 'blueorange';

export const CONFIG: Config = {
  font: FONT_STACK,
  background: 'white',
  padding: 8,
  view: { stroke: null },
  title: { anchor: 'start', fontSize: 14, fontWeight: 'bold', subtitleFontSize: 11, subtitleColor: COLORS.muted, offset: 10, color: COLORS.ink },
  axis: {
    labelFontSize: 11,
    titleFontSize: 11,
    titleFontWeight: 'normal',
    labelColor: COLORS.ink,
    titleColor: COLORS.ink,
    gridColor: '#e6e6e6',
    domainColor: '#888',
    tickColor: '#888',
    labelLimit: 220,
  },
  legend: { labelFontSize: 11, titleFontSize: 11, titleFontWeight: 'normal', labelLimit: 220 },
  header: { labelFontSize: 12, titleFontSize: 12, labelFontWeight: 'bold', labelColor: COLORS.ink, labelLimit: 400 },
  text: { fontSize: 11, color: COLORS.ink },
};
