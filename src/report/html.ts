/**
 * HTML assembly of a report: one self-contained file, inline CSS and inline SVG charts, no
 * script, no external URL or font, so it opens from disk anywhere and prints cleanly.
 * Pure string building; the charts arrive already rendered to SVG.
 */
import { type Cell, type ChartTable, MIN_CHART_SCALE, type TableColumn } from './chart.js';
import type { ReportDocument } from './document.js';
import { fmt, fmtSigned } from './format.js';
import { FONT_STACK } from './theme.js';

/** Escape text for HTML content and attribute values. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A table cell as text: numbers with the column's decimals (integers whole), null as —. */
export function cellText(v: Cell | undefined, c: Pick<TableColumn, 'digits' | 'signed'>): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'string') return v;
  const digits = Number.isInteger(v) && c.digits === undefined ? 0 : (c.digits ?? 2);
  return c.signed ? fmtSigned(v, digits) : fmt(v, digits);
}

/**
 * A region that scrolls sideways when its content is wider than the page, marked as such: edge
 * shadows and a "scroll →" hint (CSS only; see .scroll), focusable to scroll by keyboard.
 */
function scrollRegion(kind: 'chart' | 'table-wrap', label: string, inner: string): string {
  return `<div class="${kind} scroll" tabindex="0" role="region" aria-label="${esc(label)} (scrolls sideways when wider than the page)"><span class="scroll-hint" aria-hidden="true">scroll →</span>${inner}</div>`;
}

/** An HTML table. Numeric columns are right-aligned. */
function tableHtml(t: ChartTable, caption?: string): string {
  const numeric = t.columns.map((c) => t.rows.length > 0 && t.rows.every((r) => r[c.key] === null || r[c.key] === undefined || typeof r[c.key] === 'number'));
  // A column without set decimals: whole numbers if all are whole, else 2 decimals throughout.
  const columns = t.columns.map((c) =>
    c.digits !== undefined ? c : { ...c, digits: t.rows.every((r) => typeof r[c.key] !== 'number' || Number.isInteger(r[c.key])) ? 0 : 2 },
  );
  const head = t.columns.map((c, i) => `<th${numeric[i] ? ' class="num"' : ''} scope="col">${esc(c.label)}</th>`).join('');
  const body = t.rows
    .map((r) => `<tr>${columns.map((c, i) => `<td${numeric[i] ? ' class="num"' : ''}>${esc(cellText(r[c.key], c))}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table>${caption ? `<caption>${esc(caption)}</caption>` : ''}<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table>`;
}

/**
 * Prepare a standalone SVG for inlining: drop the XML prolog if any, make its ids (vega's
 * gradient and clip ids) unique to the chart so that several SVGs share one document, and
 * label it for assistive technology.
 */
export function inlineSvg(svg: string, chartId: string, title: string, minScale = MIN_CHART_SCALE): string {
  const prefix = `${chartId}__`;
  // Shrinks with the page down to minScale of its natural width, then its region scrolls.
  const width = Number(/^(?:<\?xml[^>]*>\s*)?<svg[^>]*?\swidth="([\d.]+)"/.exec(svg)?.[1] ?? 0);
  const style = width > 0 ? ` style="min-width:${Math.floor(width * Math.min(1, Math.max(0, minScale)))}px"` : '';
  return svg
    .replace(/^<\?xml[^>]*>\s*/, '')
    .replace(/\sid="([^"]+)"/g, (_m, id: string) => ` id="${prefix}${id}"`)
    .replace(/url\(#([^)]+)\)/g, (_m, id: string) => `url(#${prefix}${id})`)
    .replace(/(xlink:)?href="#([^"]+)"/g, (_m, x: string | undefined, id: string) => `${x ?? ''}href="#${prefix}${id}"`)
    .replace(/^<svg\b/, `<svg role="img" aria-label="${esc(title)}" data-chart="${esc(chartId)}"${style}`);
}

const CSS = `
:root { --ink: #222; --muted: #666; --line: #ddd; --bg: #fff; --panel: #f6f7f9; --accent: #0072B2; --fss: #0072B2; --aoa: #E69F00; --krs: #009E73; }
* { box-sizing: border-box; }
html { font-family: ${FONT_STACK}; color: var(--ink); background: var(--bg); font-size: 15px; line-height: 1.5; overflow-wrap: break-word; }
body { margin: 0 auto; padding: 24px 28px 48px; max-width: 1120px; }
h1 { font-size: 1.7rem; margin: 0 0 4px; }
h2 { font-size: 1.25rem; margin: 36px 0 8px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 1.05rem; margin: 20px 0 6px; }
p { margin: 6px 0; }
.subtitle { color: var(--muted); margin: 0 0 18px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0 8px; }
.card { flex: 1 1 180px; background: var(--panel); border-radius: 8px; padding: 12px 16px; border-top: 4px solid var(--accent); }
.card.krs { border-top-color: var(--krs); } .card.fss { border-top-color: var(--fss); } .card.aoa { border-top-color: var(--aoa); }
.card .label { font-size: .85rem; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
.card .value { font-size: 2rem; font-weight: bold; line-height: 1.2; font-variant-numeric: tabular-nums; }
.card .note { font-size: .85rem; color: var(--muted); }
.formula { font-size: 1rem; margin: 8px 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 10px 0; font-size: .92rem; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; overflow-wrap: anywhere; }
ul.diagnostics li, ul.warnings li { margin: 4px 0; }
ul.warnings { color: #8a4b00; }
nav.toc { font-size: .92rem; margin: 12px 0; } nav.toc a { color: var(--accent); margin-right: 14px; text-decoration: none; }
figure { margin: 18px 0 26px; }
figure svg { max-width: 100%; height: auto; display: block; }
figure svg > rect:first-child { fill: transparent; }
/* Sideways scrolling, marked: shadows on the edges with more content (covers scroll with the
   content, shadows stay: a shadow shows only where the content continues), and a "scroll →"
   hint that a scroll-driven animation shows only while the region can scroll further right. */
.scroll { overflow-x: auto; position: relative;
  background:
    linear-gradient(to right, var(--bg) 40%, rgba(255,255,255,0)) left center / 36px 100% no-repeat local,
    linear-gradient(to left, var(--bg) 40%, rgba(255,255,255,0)) right center / 36px 100% no-repeat local,
    radial-gradient(farthest-side at 0 50%, rgba(0,0,0,.28), rgba(0,0,0,0)) left center / 14px 100% no-repeat scroll,
    radial-gradient(farthest-side at 100% 50%, rgba(0,0,0,.28), rgba(0,0,0,0)) right center / 14px 100% no-repeat scroll; }
.scroll:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
.scroll-hint { position: sticky; left: 0; display: block; text-align: right; font-size: .8rem; line-height: 1.4; color: var(--accent); opacity: 0; pointer-events: none; }
@supports (animation-timeline: scroll()) {
  .scroll-hint { animation: scroll-hint linear both; animation-timeline: scroll(nearest inline); }
  @keyframes scroll-hint { from { opacity: 1; } 85% { opacity: 1; } to { opacity: 0; } }
}
figcaption { color: var(--muted); font-size: .92rem; margin: 6px 0; max-width: 80ch; }
details { margin: 6px 0 0; } summary { cursor: pointer; color: var(--accent); font-size: .92rem; }
.table-wrap { max-height: 480px; overflow-y: auto; margin: 6px 0; }
table { border-collapse: collapse; font-size: .85rem; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: bold; padding: 4px 0; }
th, td { padding: 3px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { background: var(--panel); position: sticky; top: 0; }
td.num, th.num { text-align: right; }
footer { margin-top: 40px; padding-top: 10px; border-top: 1px solid var(--line); color: var(--muted); font-size: .85rem; }
code, pre { font-family: 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: .85rem; }
pre.command { background: var(--panel); padding: 8px 12px; border-radius: 6px; white-space: pre-wrap; overflow-wrap: anywhere; }
@media (max-width: 600px) {
  body { padding: 14px 12px 32px; }
  h1 { font-size: 1.35rem; } h2 { font-size: 1.12rem; }
  .cards { gap: 8px; }
  .card { flex: 1 1 150px; padding: 8px 12px; }
  .card .value { font-size: 1.6rem; }
  dl.facts { grid-template-columns: minmax(5em, max-content) minmax(0, 1fr); }
  nav.toc a { display: inline-block; margin: 2px 12px 2px 0; }
}
@media print { details { display: block; } .table-wrap { max-height: none; } figure { break-inside: avoid; } .scroll-hint { display: none; } }
`;

/**
 * The HTML of a report document.
 * @param svgs chart id → rendered SVG (a chart without one is left out with a note)
 */
export function assembleHtml(doc: ReportDocument, svgs: ReadonlyMap<string, string>): string {
  const out: string[] = [];
  out.push('<!DOCTYPE html>');
  out.push('<html lang="en">');
  out.push('<head>');
  out.push('<meta charset="utf-8">');
  out.push('<meta name="viewport" content="width=device-width, initial-scale=1">');
  out.push(`<meta name="generator" content="krs ${esc(doc.footer.version)}">`);
  out.push(`<title>${esc(doc.title)}</title>`);
  out.push(`<style>${CSS}</style>`);
  out.push('</head>');
  out.push('<body>');
  out.push('<header>');
  out.push(`<h1>${esc(doc.title)}</h1>`);
  if (doc.subtitle) out.push(`<p class="subtitle">${esc(doc.subtitle)}</p>`);
  out.push('</header>');

  out.push('<section id="summary">');
  out.push('<h2>Summary</h2>');
  if (doc.summary.cards.length) {
    out.push('<div class="cards">');
    for (const c of doc.summary.cards) {
      out.push(
        `<div class="card ${esc(c.kind ?? '')}"><div class="label">${esc(c.label)}</div><div class="value">${esc(c.value)}</div>${c.note ? `<div class="note">${esc(c.note)}</div>` : ''}</div>`,
      );
    }
    out.push('</div>');
  }
  if (doc.summary.formula) out.push(`<p class="formula">${esc(doc.summary.formula)}</p>`);
  if (doc.summary.facts.length) {
    out.push('<dl class="facts">');
    for (const [k, v] of doc.summary.facts) out.push(`<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`);
    out.push('</dl>');
  }
  for (const t of doc.summary.tables ?? []) out.push(scrollRegion('table-wrap', t.title, tableHtml(t.table, t.title)));
  if (doc.reading.length) {
    out.push('<h3>What the numbers mean</h3>');
    for (const p of doc.reading) out.push(`<p>${esc(p)}</p>`);
  }
  if (doc.diagnostics.length) {
    out.push('<h3>Diagnostics</h3>');
    out.push(`<ul class="diagnostics">${doc.diagnostics.map((d) => `<li>${esc(d)}</li>`).join('')}</ul>`);
  }
  if (doc.warnings.length) {
    out.push('<h3>Warnings</h3>');
    out.push(`<ul class="warnings">${doc.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>`);
  }
  if (doc.sections.length > 1) {
    out.push(`<nav class="toc">${doc.sections.map((s) => `<a href="#${esc(s.id)}">${esc(s.title)}</a>`).join('')}</nav>`);
  }
  out.push('</section>');

  for (const s of doc.sections) {
    out.push(`<section id="${esc(s.id)}">`);
    out.push(`<h2>${esc(s.title)}</h2>`);
    if (s.intro) out.push(`<p>${esc(s.intro)}</p>`);
    for (const c of s.charts) {
      const svg = svgs.get(c.id);
      out.push(`<figure id="chart-${esc(c.id)}">`);
      out.push(svg ? scrollRegion('chart', c.title, inlineSvg(svg, c.id, c.title, c.minScale)) : `<p><em>${esc(c.title)}: not rendered.</em></p>`);
      out.push(`<figcaption>${esc(c.caption)}</figcaption>`);
      out.push(
        `<details><summary>Table behind this chart (${c.table.rows.length} row${c.table.rows.length === 1 ? '' : 's'})</summary>${scrollRegion('table-wrap', `table: ${c.title}`, tableHtml(c.table))}</details>`,
      );
      out.push('</figure>');
    }
    for (const t of s.tables ?? []) out.push(`<h3>${esc(t.title)}</h3>${scrollRegion('table-wrap', t.title, tableHtml(t.table))}`);
    out.push('</section>');
  }

  out.push('<footer>');
  out.push(`<p>Produced by krs ${esc(doc.footer.version)}${doc.footer.generatedAt ? ` on ${esc(doc.footer.generatedAt)}` : ''} with:</p>`);
  out.push(`<pre class="command">${esc(doc.footer.command || '(library call)')}</pre>`);
  out.push(`<p>${esc(doc.footer.note)}</p>`);
  out.push('</footer>');
  out.push('</body>');
  out.push('</html>');
  return `${out.join('\n')}\n`;
}
