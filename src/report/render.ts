/**
 * Chart → SVG, with vega-lite (compile) and vega (headless view, SVG string renderer). Runs in
 * Node and in browsers; no canvas is used: text is measured with DejaVu Sans' advance widths
 * (text-width.ts), so the same spec gives the same SVG on every machine.
 */
import * as vega from 'vega';
import { compile } from 'vega-lite';
import type { Chart } from './chart.js';
import { vegaTextWidth } from './text-width.js';

interface TextMetrics {
  width: (item: object, text: unknown) => number;
}

let installed = false;

/** Route vega's text measuring to DejaVu Sans' widths (once; idempotent). */
function installTextMetrics(): void {
  if (installed) return;
  const tm = (vega as unknown as { textMetrics?: TextMetrics }).textMetrics;
  if (tm) tm.width = vegaTextWidth;
  installed = true;
}

/** Vega-Lite's compile warnings are dropped (the library never writes to the console); errors throw. */
const quiet = {
  level(): number {
    return 0;
  },
  error(...args: readonly unknown[]): never {
    throw new Error(args.map(String).join(' '));
  },
  warn() {
    return quiet;
  },
  info() {
    return quiet;
  },
  debug() {
    return quiet;
  },
};

/** The Vega spec a chart's Vega-Lite spec compiles to. */
export function toVega(chart: Chart): vega.Spec {
  return compile(chart.spec, { logger: quiet as never }).spec as vega.Spec;
}

/** Render a chart to a standalone SVG document string (width and height set, white background). */
export async function renderSvg(chart: Chart): Promise<string> {
  installTextMetrics();
  // Gradient and clip ids restart for every chart, so a chart's SVG does not depend on what was rendered before.
  (vega as unknown as { resetSVGDefIds?: () => void }).resetSVGDefIds?.();
  const view = new vega.View(vega.parse(toVega(chart)), { renderer: 'none', logLevel: vega.Error });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Width and height of an SVG produced by {@link renderSvg}. */
export function svgSize(svg: string): { width: number; height: number } {
  const m = /^<svg[^>]*?\swidth="([\d.]+)"[^>]*?\sheight="([\d.]+)"/.exec(svg);
  return m ? { width: Number(m[1]), height: Number(m[2]) } : { width: 0, height: 0 };
}
