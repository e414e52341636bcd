/**
 * The dashboard served by `krs serve`: the fleet (`/`: every run, its tags, latest scores,
 * alert state and a sparkline, with a filter) and a run (`/runs/{name}`: cards, an
 * FSS/AOA/KRS chart drawn in the browser with hover values and overlaid runs, the latest
 * point's layer table, alert rules and events), both updated live from `/v1/events`.
 *
 * Both pages are one static HTML document (dashboard/shell.ts), byte-identical for every
 * path: it carries no data and nothing from the URL, and loads one script and one stylesheet
 * from this server (`/assets/dashboard.js`, `/assets/dashboard.css`). The script
 * (the functions of dashboard/client.ts) reads the run name from `location.pathname` and every datum from the
 * `/v1/` API with the token the page was opened with (`#token=…`, kept in sessionStorage), and
 * inserts them as text. Every response carries a Content-Security-Policy allowing only this
 * server's script and style (no inline ones), no framing, no referrer and no MIME sniffing;
 * nothing is loaded from other sites, so the pages work offline.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { COLORS, SERIES } from '../report/theme.js';
import { type ClientConstants, DASHBOARD_CLIENT_FUNCTIONS, PAGE_SCOPE_NAMES } from './dashboard/client.js';
import { dashboardShell } from './dashboard/shell.js';
import { dashboardCss, GREYS } from './dashboard/style.js';

/** The dashboard's Content-Security-Policy: this server's script, style, images and API only; no framing, no forms, no `<base>`. */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** Headers on every dashboard response (HTML and assets). */
const DASHBOARD_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': DASHBOARD_CSP,
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** The constants the page script is called with: theme colours and the live-update limits (docs/service.md, "Dashboard"). */
const CLIENT_CONSTANTS: ClientConstants = {
  colors: { fss: COLORS.fss, aoa: COLORS.aoa, krs: COLORS.krs, ink: COLORS.ink, muted: COLORS.muted, grid: GREYS.grid, axis: GREYS.axis },
  overlayColors: SERIES.filter((c) => c !== COLORS.fss && c !== COLORS.aoa && c !== COLORS.krs),
  throttleMs: 2000,
  maxBuckets: 500,
  minBucketSeconds: 60,
};

/** One year: the assets' addresses carry a hash of their content, so a new version has a new address. */
const ASSET_CACHE = 'public, max-age=31536000, immutable';

export interface DashboardAssets {
  html: string;
  js: string;
  css: string;
}

/**
 * The page script as served: in one function scope, the source of every function of
 * dashboard/client.ts, the page scope they share made by `pageScope` from the constants, and
 * the call that starts the page. `__name` is defined because esbuild (tsx, when krs runs from
 * its sources) wraps named functions in `__name(fn, "name")` calls to a helper outside the
 * functions' source.
 */
function dashboardScript(constants: ClientConstants = CLIENT_CONSTANTS): string {
  return `'use strict';
(() => {
const __name = (fn) => fn;
${DASHBOARD_CLIENT_FUNCTIONS.map((f) => f.toString()).join('\n')}
const { ${PAGE_SCOPE_NAMES.join(', ')} } = pageScope(${JSON.stringify(constants)});
startDashboard();
})();
`;
}

let assets: DashboardAssets | null = null;

/** The shell, script and stylesheet, built once. */
function dashboardAssets(): DashboardAssets {
  if (assets) return assets;
  const js = dashboardScript();
  const css = dashboardCss();
  const version = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);
  const html = dashboardShell({ script: `/assets/dashboard.js?v=${version(js)}`, stylesheet: `/assets/dashboard.css?v=${version(css)}` });
  assets = { html, js, css };
  return assets;
}

function send(reply: FastifyReply, type: string, cache: string, body: string): FastifyReply {
  return reply
    .headers({ ...DASHBOARD_HEADERS, 'cache-control': cache })
    .type(type)
    .send(body);
}

/**
 * Register the dashboard: `GET /` and `GET /runs/:name` (the shell, the same bytes for
 * every name, revalidated on each visit), `GET /assets/dashboard.js` and
 * `GET /assets/dashboard.css` (cached for a year). None of them is in the OpenAPI document.
 */
export function registerDashboard(app: FastifyInstance): void {
  const a = dashboardAssets();
  const hidden = { schema: { hide: true } };
  const shell = async (_req: unknown, reply: FastifyReply) => send(reply, 'text/html; charset=utf-8', 'no-cache', a.html);
  app.get('/', hidden, shell);
  app.get('/runs/:name', hidden, shell);
  app.get('/assets/dashboard.js', hidden, async (_req, reply) => send(reply, 'text/javascript; charset=utf-8', ASSET_CACHE, a.js));
  app.get('/assets/dashboard.css', hidden, async (_req, reply) => send(reply, 'text/css; charset=utf-8', ASSET_CACHE, a.css));
}
