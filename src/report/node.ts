/**
 * krs/report/node — writing reports and charts to files: HTML, SVG and PNG (resvg, with the
 * DejaVu Sans font of the npm package dejavu-fonts-ttf). Everything of `krs/report` too.
 */
export * from './index.js';
export {
  writeReport,
  writeCharts,
  writeChartFile,
  CHART_FORMATS,
  type ChartFormat,
  type ChartFile,
  type WriteChartsOptions,
  type WriteReportOptions,
  type WrittenReport,
} from './node-report.js';
export { svgToPng, findChartFont, type ChartFont, type PngOptions } from './node-png.js';
