/**
 * The dashboard's stylesheet (`/assets/dashboard.css`), in the report's theme
 * (src/report/theme.ts). Narrow screens: everything wraps, and wide tables scroll inside their
 * own box (`.scroll`), so the page itself never scrolls sideways (tested at 400 px).
 */
import { COLORS, FONT_STACK } from '../../report/theme.js';

/** Hairlines and tints shared by the stylesheet and the chart. */
export const GREYS = { grid: '#e6e6e6', axis: '#888888', chip: '#f4f4f4', chipBorder: '#cfcfcf', firing: '#D55E00' } as const;

export function dashboardCss(): string {
  const c = COLORS;
  const g = GREYS;
  return `*,*::before,*::after{box-sizing:border-box}
[hidden]{display:none!important}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{font-family:${FONT_STACK};color:${c.ink};margin:0 auto;max-width:1100px;padding:0 16px 32px;font-size:14px;line-height:1.4}
a{color:${c.fss}}
h1{font-size:22px;margin:12px 0 4px;overflow-wrap:anywhere}
h2{font-size:16px;margin:28px 0 8px}
h3{font-size:14px;margin:20px 0 6px}
p,li,td.run{overflow-wrap:anywhere}
.muted{color:${c.muted}}
.top{display:flex;flex-wrap:wrap;justify-content:space-between;align-items:baseline;gap:4px 16px;padding:10px 0;border-bottom:1px solid ${g.grid}}
.brand{font-weight:bold;color:${c.ink};text-decoration:none}
#status{font-size:12px;color:${c.muted};overflow-wrap:anywhere;min-width:0}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;width:100%;margin:4px 0}
th,td{padding:4px 8px;border-bottom:1px solid ${g.grid};text-align:left;vertical-align:top;white-space:nowrap}
th{font-weight:normal;color:${c.muted};border-bottom:1px solid ${c.rule}}
td.run{white-space:normal;min-width:150px;max-width:320px}
.num{text-align:right;font-variant-numeric:tabular-nums}
.firing{color:#fff;background:${g.firing};padding:1px 6px;border-radius:3px}
.ok{color:${c.krs}}
.badge{font-size:11px;color:${c.muted};border:1px solid ${g.chipBorder};border-radius:3px;padding:0 4px}
.chips{display:flex;flex-wrap:wrap;gap:4px;margin:3px 0 0}
.chips:empty{display:none}
.chip{font:inherit;font-size:11px;line-height:1.5;color:${c.ink};background:${g.chip};border:1px solid ${g.chipBorder};border-radius:10px;padding:0 7px;cursor:pointer;max-width:100%;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.chip:hover,.chip:focus-visible{border-color:${c.fss}}
.filters{display:flex;flex-wrap:wrap;align-items:center;gap:8px 16px;margin:8px 0}
#filter{flex:1 1 260px;min-width:0;max-width:100%;font:inherit;padding:4px 8px}
#fleet-count{font-size:12px}
.sparkline{display:block}
.cards{display:flex;flex-wrap:wrap;gap:8px 12px;margin:12px 0}
.card{border:1px solid ${g.grid};padding:6px 12px;flex:1 1 90px;min-width:0;max-width:180px}
.card .v{font-size:22px;font-weight:bold;font-variant-numeric:tabular-nums}
.card .l{color:${c.muted};font-size:12px}
.chart-head{display:flex;flex-wrap:wrap;justify-content:space-between;align-items:baseline;gap:4px 16px}
.chart-head h2{margin-bottom:0}
.picker{font-size:12px;color:${c.muted};max-width:100%}
select{font:inherit;font-size:13px;max-width:100%}
.chart{position:relative;margin:8px 0 0;min-height:200px;touch-action:pan-y}
.chart:focus-visible{outline:2px solid ${c.fss};outline-offset:2px}
.chart svg{display:block;width:100%;height:auto;font-family:${FONT_STACK}}
.chart .axis text{font-size:11px}
.chart .axis text.title{fill:${c.muted}}
.chart .empty{fill:${c.muted};font-size:13px}
.tooltip{position:absolute;top:8px;left:0;z-index:1;pointer-events:none;background:rgba(255,255,255,.96);border:1px solid #bbb;border-radius:3px;padding:6px 8px;font-size:12px;line-height:1.5;max-width:min(300px,100%);box-shadow:0 1px 4px rgba(0,0,0,.15)}
.tooltip .head{font-weight:bold}
.tooltip .tip-n{color:${c.muted}}
.swatch{display:inline-block;width:14px;height:3px;vertical-align:middle;margin-right:6px}
.swatch.band-swatch{height:10px;opacity:.25}
.legend{list-style:none;padding:0;margin:4px 0 0;display:flex;flex-wrap:wrap;gap:2px 16px;font-size:12px}
.legend li{overflow-wrap:anywhere}
.legend .remove{font:inherit;border:none;background:none;color:${c.muted};cursor:pointer;padding:0 4px}
.legend .remove:hover{color:${c.ink}}
#events,#warnings{padding-left:20px}
`;
}
