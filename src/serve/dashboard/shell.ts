/**
 * The dashboard's one HTML document, served unchanged for `/` and every `/runs/{name}`: it
 * holds no data, nothing from the URL and no inline script or style — only the skeletons of
 * both pages (hidden) and the two assets. The page script picks the page from
 * `location.pathname` and fills it in.
 */

export interface ShellAssets {
  /** Address of the script, with a content-hash query so a long cache never serves an old one. */
  script: string;
  stylesheet: string;
}

export function dashboardShell(a: ShellAssets): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>krs serve</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${a.stylesheet}">
<script src="${a.script}" defer></script>
</head>
<body>
<header class="top"><a class="brand" href="/">krs serve</a><span id="status" role="status">connecting…</span></header>
<main>
${FLEET}
${RUN}
</main>
</body>
</html>
`;
}

const FLEET = `<section id="fleet-page" hidden>
<h1>Fleet</h1>
<p class="muted">Every run's latest point (KRS, or AOA for output-only runs), its alert state and its last 30 points. Live.</p>
<div class="filters">
<input id="filter" type="search" autocomplete="off" spellcheck="false" placeholder="filter: name, teacher, student, or tag key:value" aria-label="filter runs by name, teacher, student or tag key:value">
<label><input id="show-archived" type="checkbox"> show archived</label>
<span id="fleet-count" class="muted"></span>
</div>
<div class="scroll"><table id="fleet">
<thead><tr><th>run</th><th>kind</th><th>teacher → student</th><th>task</th><th class="num">points</th><th class="num">latest KRS</th><th class="num">FSS</th><th class="num">AOA</th><th>alerts</th><th>trend</th></tr></thead>
<tbody></tbody>
</table></div>
</section>`;

const RUN = `<section id="run-page" hidden>
<p><a href="/">← fleet</a></p>
<h1 id="title"></h1>
<p id="meta" class="muted"></p>
<div id="tags" class="chips"></div>
<div id="cards" class="cards"></div>
<div class="chart-head">
<h2 id="chart-title">FSS, AOA and KRS</h2>
<label class="picker">overlay a run <select id="overlay-run"><option value="">choose…</option></select></label>
</div>
<div id="chart" class="chart" tabindex="0" aria-describedby="chart-help"><div id="tooltip" class="tooltip" role="status" hidden></div></div>
<ul id="legend" class="legend"></ul>
<p id="chart-help" class="muted">Hover, touch, or focus the chart and use ← →, to read the values of a step or time bucket.</p>
<h2>Layers of the latest point</h2>
<p id="latest-at" class="muted"></p>
<div class="scroll"><table id="layers">
<thead><tr><th>teacher layer</th><th>student layer</th><th>similarity</th><th class="num">score</th><th class="num">95 % CI</th><th class="num">n</th></tr></thead>
<tbody></tbody>
</table></div>
<ul id="warnings" class="muted"></ul>
<h2>Alerts</h2>
<div class="scroll"><table id="rules">
<thead><tr><th>rule</th><th>state</th><th>since</th><th>message</th></tr></thead>
<tbody></tbody>
</table></div>
<h3>Recent events</h3>
<ul id="events"></ul>
</section>`;
