/**
 * The dashboard's two pages, served by `krs serve`: the fleet (every run, its latest KRS,
 * alert state and a sparkline) and a run (FSS/AOA/KRS chart, per-layer table of the latest
 * point, alert rules and events). Each page is a shell with no data in it: its script reads
 * the `/v1/` API with the token the page is opened with (`#token=…`, kept in the tab's
 * sessionStorage) and re-reads when the server-sent event stream (`/v1/events`) says a run
 * changed — so nothing from the store reaches a reader without read scope, and the page
 * updates live without a reload. No script or font comes from another site: the chart is an
 * SVG rendered by the server in the report's theme.
 */
import { COLORS, FONT_STACK } from '../report/theme.js';

export interface PageOptions {
  page: 'fleet' | 'run';
  run?: string;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function dashboardPage(o: PageOptions): string {
  const title = o.page === 'fleet' ? 'krs serve — fleet' : `krs serve — ${o.run}`;
  const body =
    o.page === 'fleet'
      ? `<h1>Fleet</h1><p class="muted">Every run's latest point (KRS, or AOA for output-only runs), its alert state and its last 30 points. Live.</p>
<table id="fleet"><thead><tr><th>run</th><th>kind</th><th>teacher → student</th><th>task</th><th class="num">points</th><th class="num">latest KRS</th><th class="num">FSS</th><th class="num">AOA</th><th>alerts</th><th>trend</th></tr></thead><tbody></tbody></table>`
      : `<p><a href="/">← fleet</a></p><h1 id="title">${esc(o.run ?? '')}</h1><p id="meta" class="muted"></p>
<div class="cards" id="cards"></div>
<div id="chart" class="chart"></div>
<h2>Layers of the latest point</h2><table id="layers"><thead><tr><th>teacher layer</th><th>student layer</th><th>similarity</th><th class="num">score</th><th class="num">95 % CI</th><th class="num">n</th></tr></thead><tbody></tbody></table>
<h2>Alerts</h2><table id="rules"><thead><tr><th>rule</th><th>state</th><th>since</th><th>message</th></tr></thead><tbody></tbody></table>
<h3>Recent events</h3><ul id="events"></ul>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
body{font-family:${FONT_STACK};color:${COLORS.ink};margin:24px auto;max-width:1000px;padding:0 16px;font-size:14px}
h1{font-size:22px;margin:8px 0}h2{font-size:16px;margin-top:28px}h3{font-size:14px}
.muted{color:${COLORS.muted}}a{color:${COLORS.fss}}
table{border-collapse:collapse;width:100%;margin:8px 0}th,td{padding:4px 8px;border-bottom:1px solid #e6e6e6;text-align:left}
th{font-weight:normal;color:${COLORS.muted};border-bottom:1px solid ${COLORS.rule}}.num{text-align:right;font-variant-numeric:tabular-nums}
.firing{color:#fff;background:#D55E00;padding:1px 6px;border-radius:3px}.ok{color:${COLORS.krs}}
.cards{display:flex;gap:16px;flex-wrap:wrap}.card{border:1px solid #e6e6e6;padding:8px 14px;min-width:120px}
.card .v{font-size:24px;font-weight:bold}.card .l{color:${COLORS.muted};font-size:12px}
.chart svg{max-width:100%;height:auto}#status{position:fixed;top:6px;right:10px;font-size:11px;color:${COLORS.muted}}
</style></head>
<body><div id="status">connecting…</div>
${body}
<script>
${script(o)}
</script></body></html>
`;
}

function script(o: PageOptions): string {
  return `
(() => {
  const page = ${JSON.stringify(o.page)};
  const runName = ${JSON.stringify(o.run ?? null)};
  const m = /token=([^&]+)/.exec(location.hash);
  if (m) { sessionStorage.setItem('krs-token', decodeURIComponent(m[1])); history.replaceState(null, '', location.pathname); }
  const token = sessionStorage.getItem('krs-token');
  const headers = token ? { authorization: 'Bearer ' + token } : {};
  const $ = (id) => document.getElementById(id);
  const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';');
  const f2 = (x) => (x === null || x === undefined ? '—' : Number(x).toFixed(2));
  const status = (s) => { $('status').textContent = s; };
  async function get(path, text) {
    const r = await fetch(path, { headers });
    if (!r.ok) { let msg = r.status + ''; try { msg = (await r.json()).error.message; } catch {} throw new Error(msg); }
    return text ? r.text() : r.json();
  }
  function spark(values) {
    const v = values.filter((x) => x !== null);
    if (v.length < 2) return '';
    const lo = Math.min(...v), hi = Math.max(...v), w = 120, h = 24, span = hi - lo || 1;
    const pts = v.map((x, i) => (i * w / (v.length - 1)).toFixed(1) + ',' + (h - 2 - (x - lo) / span * (h - 4)).toFixed(1)).join(' ');
    return '<svg width="' + w + '" height="' + h + '" viewBox="0 0 ' + w + ' ' + h + '"><polyline fill="none" stroke="${COLORS.krs}" stroke-width="1.5" points="' + pts + '"/></svg>';
  }
  async function fleet() {
    const { runs } = await get('/v1/runs');
    $('fleet').tBodies[0].innerHTML = runs.map((r) => {
      const l = r.latest;
      return '<tr data-run="' + esc(r.run.name) + '"><td><a href="/runs/' + encodeURIComponent(r.run.name) + '">' + esc(r.run.name) + '</a></td><td>' + esc(r.run.kind) + '</td><td>' + esc(r.run.teacher) + ' → ' + esc(r.run.student) + '</td><td>' + esc(r.run.task) + '</td><td class="num points">' + r.points + '</td><td class="num krs">' + f2(l ? (l.krs ?? null) : null) + '</td><td class="num">' + f2(l && l.fss) + '</td><td class="num">' + f2(l && l.aoa) + '</td><td><span class="' + r.alert + '">' + r.alert + '</span></td><td>' + spark(r.spark) + '</td></tr>';
    }).join('');
  }
  async function run() {
    const enc = encodeURIComponent(runName);
    const [info, alerts, svg] = await Promise.all([get('/v1/runs/' + enc), get('/v1/runs/' + enc + '/alerts'), get('/v1/runs/' + enc + '/chart.svg', true)]);
    const r = info.run, l = info.latest;
    $('meta').textContent = r.kind + ' · ' + r.teacher + ' → ' + r.student + ' · ' + r.task + ' · ' + info.points + ' points' + (r.teacherModel ? ' · teacher runs on the server' : '');
    const card = (label, v, cls) => '<div class="card ' + (cls || '') + '"><div class="v">' + v + '</div><div class="l">' + label + '</div></div>';
    $('cards').innerHTML = card('points', '<span id="points">' + info.points + '</span>') + (l ? card('latest KRS', '<span id="latest-krs">' + f2(l.krs) + '</span>') + card('FSS', f2(l.fss)) + card('AOA', f2(l.aoa)) + card('n', l.n) : '') +
      card('alerts', alerts.rules.some((x) => x.state === 'firing') ? '<span class="firing">firing</span>' : '<span class="ok">ok</span>');
    $('chart').innerHTML = svg;
    $('layers').tBodies[0].innerHTML = l ? l.scores.layers.map((x) => '<tr><td>' + esc(x.teacher) + '</td><td>' + esc(x.student) + '</td><td>' + esc(x.similarity) + '</td><td class="num">' + f2(x.score) + '</td><td class="num">' + (x.ci95 ? f2(x.ci95[0]) + ' to ' + f2(x.ci95[1]) : '—') + '</td><td class="num">' + x.n + '</td></tr>').join('') : '';
    $('rules').tBodies[0].innerHTML = alerts.rules.map((x) => '<tr><td>' + esc(x.kind) + ' ' + x.threshold + (x.window ? ' over ' + x.window + ' points' : '') + '</td><td><span class="' + esc(x.state) + '">' + esc(x.state) + '</span></td><td>' + esc(x.since || '') + '</td><td>' + esc(x.message || '') + '</td></tr>').join('');
    $('events').innerHTML = alerts.events.map((e) => '<li>' + esc(e.time) + ' <b>' + esc(e.state) + '</b> ' + esc(e.message) + '</li>').join('');
  }
  const refresh = page === 'fleet' ? fleet : run;
  let pending = null, busy = false, again = false;
  function schedule() {
    if (pending) return;
    pending = setTimeout(async () => {
      pending = null;
      if (busy) { again = true; return; }
      busy = true;
      try { await refresh(); status('live · ' + new Date().toLocaleTimeString()); } catch (e) { status('error: ' + e.message); }
      busy = false;
      if (again) { again = false; schedule(); }
    }, 150);
  }
  const q = new URLSearchParams();
  if (runName) q.set('run', runName);
  if (token) q.set('access_token', token);
  const es = new EventSource('/v1/events?' + q);
  es.onopen = () => { status('live'); schedule(); };
  es.onerror = () => status('reconnecting…');
  for (const t of ['point', 'alert', 'run']) es.addEventListener(t, schedule);
  schedule();
})();
`;
}

/** The dashboard's routes (interim: replaced by the static-shell dashboard). */
export function registerDashboard(app: import('fastify').FastifyInstance): void {
  app.get('/', { schema: { hide: true } }, async (_req, reply) => reply.type('text/html; charset=utf-8').send(dashboardPage({ page: 'fleet' })));
  app.get('/runs/:name', { schema: { hide: true } }, async (req, reply) =>
    reply.type('text/html; charset=utf-8').send(dashboardPage({ page: 'run', run: (req.params as { name: string }).name })),
  );
}
