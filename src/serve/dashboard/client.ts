/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The dashboard's page script, run in the browser on both pages (`/` and `/runs/{name}`).
 *
 * It is a set of self-contained functions, grouped by concern (token, API and DOM; formatting;
 * status line; throttled fetches and the event stream; the fleet page; the run page's loading,
 * live points, rendering and overlays; the chart and its hover). They import nothing and use
 * nothing from this module's scope at run time (the interfaces are types only, erased when
 * compiled): the server sends their source text (`Function.prototype.toString`) as
 * `/assets/dashboard.js`, all declared in one scope, where `pageScope(constants)` makes the
 * shared constants and state (`PAGE_SCOPE_NAMES`; declared below for the type checker only)
 * and `startDashboard()` runs the page — see ../dashboard.ts. Being functions in a .ts file,
 * they are type-checked (DOM types) and linted with the rest of krs; a function added here must
 * be listed in `DASHBOARD_CLIENT_FUNCTIONS` (test/serve/dashboard.test.ts checks).
 *
 * Safety: the page's HTML is a static shell; everything read from the URL or the API reaches
 * the document through `textContent`, `setAttribute`, `dataset`, `new Option()` or CSSOM — the
 * script never assigns `innerHTML`, so no text can become markup.
 *
 * Liveness: the page subscribes to `/v1/events` and updates from the events' data; the
 * fetches events cause (the fleet, a changed step or time bucket, the alerts) go through one
 * scheduler that runs at most one fetch per `throttleMs` per page.
 */

/** What the server passes to the page script. */
export interface ClientConstants {
  /** Measure colours (report theme) and the chart's greys. */
  colors: { fss: string; aoa: string; krs: string; ink: string; muted: string; grid: string; axis: string };
  /** Colours of overlaid runs (none of them a measure's colour). */
  overlayColors: readonly string[];
  /** Least gap between two event-driven fetches, ms. */
  throttleMs: number;
  /** Most time buckets a deployment's chart asks for. */
  maxBuckets: number;
  /** Shortest time bucket, seconds. */
  minBucketSeconds: number;
}

type Interval = [number, number] | null;
type Measure = 'krs' | 'fss' | 'aoa';

interface RunInfo {
  name: string;
  kind: 'training' | 'deployment';
  teacher: string;
  student: string;
  task: string;
  tags: Record<string, string> | null;
  teacherModel: string | null;
  created: string;
  archived?: boolean;
}

interface Layer {
  teacher: string;
  student: string;
  similarity: string;
  score: number;
  n: number;
  ci95: Interval;
}

interface Point {
  id: number;
  step: number | null;
  time: string;
  n: number;
  fss: number | null;
  aoa: number;
  krs: number | null;
  source: string;
  scores: { ci95: { fss: Interval; aoa: Interval; krs: Interval }; layers: Layer[]; warnings?: string[] };
}

/** One step or time bucket of a series (the merge of its points). */
interface Entry {
  step?: number;
  time?: string;
  points: number;
  n: number;
  fss: number | null;
  aoa: number;
  krs: number | null;
  ci95: { fss: Interval; aoa: Interval; krs: Interval };
}

interface FleetRow {
  run: RunInfo;
  points: number;
  latest: Point | null;
  spark: (number | null)[];
  alert: string;
}

interface Rule {
  id: number;
  kind: string;
  threshold: number;
  window: number | null;
  state: string;
  since: string | null;
  message: string | null;
}

interface AlertsReply {
  rules: Rule[];
  events: { rule: number; time: string; state: string; value: number | null; message: string | null }[];
}

interface RunReply {
  run: RunInfo;
  points: number;
  latest: Point | null;
  alerts: Rule[];
}

interface PointEvent {
  run: string;
  point: Point;
}

/** A run drawn on the run page: the page's own run or an overlay, with its series. */
interface Holder {
  run: string;
  /** The series, or null until loaded. */
  entries: Entry[] | null;
  /** Output-only (no KRS anywhere in the series). */
  outputOnly: boolean;
  /** Point events that arrived while the series was loading, applied after. */
  loading: boolean;
  queued: Point[];
  /** Keys (step, or bucket start in seconds) whose merged score changed. */
  dirty: Set<number>;
  color: string;
  dash: string;
}

/** A drawn line: one measure of one run. */
interface Line {
  holder: Holder;
  measure: Measure;
  label: string;
  color: string;
  dash: string;
  cls: string;
}

/** The chart's geometry: scales, ticks, and the x positions a hover can land on. */
interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
  x: (v: number) => number;
  y: (v: number) => number;
  xTicks: number[];
  yTicks: number[];
  xLabel: (v: number) => string;
  xs: number[];
}

/** Event-driven fetches, one at a time (see `makeScheduler`). */
interface Scheduler {
  request(key: string, job: () => Promise<void>): void;
}

/** The status line: the stream's state, the last fetch's error, and when the page was last current. */
interface Status {
  conn: string;
  error: string;
  at: string;
}

/** Run page state. */
interface RunPage {
  name: string;
  info: RunReply | null;
  by: 'step' | 'time';
  /** Seconds per time bucket (deployments). */
  bucket: number;
  main: Holder | null;
  overlays: Map<string, Holder>;
  overlayStream: { close(): void } | null;
  /** Point events that arrived while the page loaded, applied after. */
  loading: boolean;
  queued: Point[];
  /** Point count read, the largest point id it covered, and ids counted since. */
  points: number;
  readUpTo: number;
  counted: Set<number>;
  latest: Point | null;
  firing: boolean;
  /** When the overlay picker's list was last read (ms). */
  pickerRead: number;
  hover: number | null;
  frame: Frame | null;
  lines: Line[];
  drawQueued: boolean;
}

/**
 * What every function of the page shares: the constants and the page's state. In the served
 * script these are constants of the one scope all the functions are declared in, made by
 * `pageScope` (see ../dashboard.ts); here they are declared for the type checker only.
 */
interface PageScope {
  c: ClientConstants;
  SVG_NS: string;
  /** Bucket sizes (seconds) a deployment's chart chooses from. */
  NICE_BUCKETS: number[];
  /** Tick spacings (ms) of a time axis. */
  TIME_TICKS: number[];
  /** Most series entries drawn with a dot each. */
  MAX_MARKERS: number;
  /** The API token, or null. */
  token: string | null;
  status: Status;
  schedule: Scheduler;
  /** Fleet state: the runs as last read. */
  fleet: { rows: FleetRow[] };
  rp: RunPage;
}

/** The names of the page scope, in the order the served script declares them. */
export const PAGE_SCOPE_NAMES: readonly (keyof PageScope)[] = [
  'c',
  'SVG_NS',
  'NICE_BUCKETS',
  'TIME_TICKS',
  'MAX_MARKERS',
  'token',
  'status',
  'schedule',
  'fleet',
  'rp',
];

declare const c: PageScope['c'];
declare const SVG_NS: PageScope['SVG_NS'];
declare const NICE_BUCKETS: PageScope['NICE_BUCKETS'];
declare const TIME_TICKS: PageScope['TIME_TICKS'];
declare const MAX_MARKERS: PageScope['MAX_MARKERS'];
declare const token: PageScope['token'];
declare const status: PageScope['status'];
declare const schedule: PageScope['schedule'];
declare const fleet: PageScope['fleet'];
declare const rp: PageScope['rp'];

/** The page scope, made once when the script starts (takes the token from the address). */
function pageScope(constants: ClientConstants): PageScope {
  return {
    c: constants,
    SVG_NS: 'http://www.w3.org/2000/svg',
    NICE_BUCKETS: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800, 2592000],
    TIME_TICKS: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800, 2592000, 31536000].map(
      (s) => s * 1000,
    ),
    MAX_MARKERS: 80,
    token: takeToken(),
    status: { conn: 'connecting…', error: '', at: '' },
    schedule: makeScheduler(constants.throttleMs),
    fleet: { rows: [] },
    rp: {
      name: '',
      info: null,
      by: 'step',
      bucket: 60,
      main: null,
      overlays: new Map(),
      overlayStream: null,
      loading: false,
      queued: [],
      points: 0,
      readUpTo: 0,
      counted: new Set(),
      latest: null,
      firing: false,
      pickerRead: 0,
      hover: null,
      frame: null,
      lines: [],
      drawQueued: false,
    },
  };
}

/** The entry: the fleet page at `/`, a run's page at `/runs/{name}`. */
function startDashboard(): void {
  const run = runFromPath(location.pathname);
  showStatus();
  if (run === null) startFleet();
  else startRun(run);
}

// ---------------------------------------------------------------- token, API, DOM

/** The token from `#token=…`, moved to sessionStorage and removed from the address bar; or the one kept there. */
function takeToken(): string | null {
  const key = 'krs-token';
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem(key, safeDecode(m[1] ?? ''));
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(key);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The run named by the path `/runs/<name>`, or null on the fleet page (`/`). */
function runFromPath(path: string): string | null {
  const m = /^\/runs\/([^/]+)\/?$/.exec(path);
  return m ? safeDecode(m[1] ?? '') : null;
}

/** GET a JSON document of the API with the token; a refusal throws the API's own message. */
async function api<T>(path: string): Promise<T> {
  const r = await fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {}, cache: 'no-store' });
  if (!r.ok) throw new Error(await refusal(r));
  return (await r.json()) as T;
}

async function refusal(r: Response): Promise<string> {
  try {
    const body = (await r.json()) as { error?: { message?: string } };
    return body.error?.message ?? `HTTP ${r.status}`;
  } catch {
    return `HTTP ${r.status}`;
  }
}

function runPath(name: string, rest = ''): string {
  return `/v1/runs/${encodeURIComponent(name)}${rest}`;
}

function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`the page has no #${id}`);
  return e as T;
}

/** A new element with a class and text (text, never markup). */
function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls = '', text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A new SVG element with attributes. */
function svg(tag: string, attrs: Record<string, string | number> = {}): SVGElement {
  const e = document.createElementNS(SVG_NS, tag) as SVGElement;
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

/** A table cell holding text or nodes. */
function td(content: string | Node, cls = ''): HTMLTableCellElement {
  const cell = el('td', cls);
  cell.append(content);
  return cell;
}

/** A swatch of a line's colour (CSSOM styles: allowed by the page's CSP). */
function swatch(color: string, dash = ''): HTMLSpanElement {
  const s = el('span', 'swatch');
  if (dash) s.style.borderTop = `3px dashed ${color}`;
  else s.style.background = color;
  return s;
}

// ---------------------------------------------------------------- formatting

function fmt(x: number | null | undefined, digits = 2): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits);
}

function fmtInterval(ci: Interval | undefined, digits = 2): string {
  return ci ? `${fmt(ci[0], digits)} to ${fmt(ci[1], digits)}` : '—';
}

/** An ISO time as `YYYY-MM-DD HH:MM:SS UTC`. */
function utc(t: number | string): string {
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? String(t) : `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** Seconds as `30 s`, `5 min`, `2 h` or `1 d`. */
function duration(s: number): string {
  if (s < 60 || s % 60) return `${s} s`;
  if (s < 3600 || s % 3600) return `${s / 60} min`;
  if (s < 86400 || s % 86400) return `${s / 3600} h`;
  return `${s / 86400} d`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

// ---------------------------------------------------------------- status line

function showStatus(): void {
  const s = status.error ? `error: ${status.error}` : status.conn === 'live' && status.at ? `live · ${status.at}` : status.conn;
  byId('status').textContent = s;
}

function setConn(conn: string): void {
  status.conn = conn;
  showStatus();
}

/** A fetch succeeded: the page is current. */
function fresh(): void {
  status.error = '';
  status.at = new Date().toLocaleTimeString();
  showStatus();
}

function failed(e: unknown): void {
  status.error = e instanceof Error ? e.message : String(e);
  showStatus();
}

// ---------------------------------------------------------------- throttled fetches, event stream

/**
 * Event-driven fetches: one at a time, each at least `gap` ms after the previous one
 * started; a job asked for again while it waits runs once.
 */
function makeScheduler(gap: number) {
  const jobs = new Map<string, () => Promise<void>>();
  let last = Number.NEGATIVE_INFINITY;
  let timer: number | null = null;
  let running = false;
  function kick(): void {
    if (timer !== null || running || jobs.size === 0) return;
    timer = window.setTimeout(runNext, Math.max(0, last + gap - Date.now()));
  }
  async function runNext(): Promise<void> {
    timer = null;
    const next = jobs.entries().next();
    if (next.done) return;
    const [key, job] = next.value;
    jobs.delete(key);
    running = true;
    last = Date.now();
    try {
      await job();
      fresh();
    } catch (e) {
      failed(e);
    } finally {
      running = false;
      kick();
    }
  }
  return {
    request(key: string, job: () => Promise<void>): void {
      jobs.set(key, job);
      kick();
    },
  };
}

interface StreamHandlers {
  /** The stream (re)connected: events before this moment were not seen, so read afresh. */
  open(): void;
  /** The stream failed for good (a refusal): read once anyway, to show why. */
  closed(): void;
  point(e: PointEvent): void;
  alert(e: { run: string }): void;
  run(e: { name?: string; run?: string }): void;
}

/**
 * `/v1/events` (only `run`'s events when given), token as `access_token` since EventSource
 * sends no headers; reconnects with backoff when the server refuses or goes away.
 * `report`: whether this stream's state is the page's status.
 */
function openStream(run: string | null, on: StreamHandlers, report: boolean): { close(): void } {
  let source: EventSource | null = null;
  let retry = 1000;
  const conn = (s: string) => report && setConn(s);
  function connect(): void {
    const q = new URLSearchParams();
    if (run !== null) q.set('run', run);
    if (token) q.set('access_token', token);
    const es = new EventSource(`/v1/events?${q}`);
    source = es;
    es.onopen = () => {
      retry = 1000;
      conn('live');
      on.open();
    };
    es.onerror = () => {
      if (source !== es) return;
      if (es.readyState !== EventSource.CLOSED) {
        conn('reconnecting…');
        return;
      }
      conn('disconnected');
      on.closed();
      window.setTimeout(() => {
        if (source === es) connect();
      }, retry);
      retry = Math.min(retry * 2, 60_000);
    };
    listen(es, 'point', on.point);
    listen(es, 'alert', on.alert);
    listen(es, 'run', on.run);
  }
  connect();
  return {
    close(): void {
      source?.close();
      source = null;
    },
  };
}

function listen<T>(es: EventSource, type: string, handle: (data: T) => void): void {
  es.addEventListener(type, (e) => {
    try {
      handle(JSON.parse((e as MessageEvent<string>).data) as T);
    } catch (err) {
      failed(err);
    }
  });
}

/** Subscribe, and read the page's data once the stream is open (or has failed, or after 3 s at the latest). */
function streamThenLoad(run: string | null, load: () => void, handlers: Omit<StreamHandlers, 'open' | 'closed'>): void {
  let loaded = false;
  const always = () => {
    loaded = true;
    load();
  };
  const once = () => {
    if (!loaded) always();
  };
  openStream(run, { ...handlers, open: always, closed: once }, true);
  window.setTimeout(once, 3000);
}

// ---------------------------------------------------------------- fleet page

/** The fleet page: every run, filtered by the box and the archived toggle; re-read (throttled) on every event. */
function startFleet(): void {
  byId('fleet-page').hidden = false;
  document.title = 'krs serve — fleet';
  const asked = new URLSearchParams(location.search).get('q');
  if (asked) byId<HTMLInputElement>('filter').value = asked;
  byId('filter').addEventListener('input', applyFleetFilter);
  byId('show-archived').addEventListener('change', applyFleetFilter);
  const reload = () => schedule.request('fleet', loadFleet);
  streamThenLoad(null, reload, { point: reload, alert: reload, run: reload });
}

async function loadFleet(): Promise<void> {
  fleet.rows = (await api<{ runs: FleetRow[] }>('/v1/runs?archived=true')).runs;
  const body = byId<HTMLTableElement>('fleet').tBodies[0]!;
  body.replaceChildren(...fleet.rows.map(fleetRow));
  applyFleetFilter();
}

function fleetRow(r: FleetRow): HTMLTableRowElement {
  const tr = el('tr');
  const run = r.run;
  const l = r.latest;
  tr.dataset.run = run.name;
  tr.append(
    td(runCell(run), 'run'),
    td(run.kind),
    td(`${run.teacher || '—'} → ${run.student || '—'}`),
    td(run.task),
    td(String(r.points), 'num points'),
    td(fmt(l?.krs), 'num krs'),
    td(fmt(l?.fss), 'num fss'),
    td(fmt(l?.aoa), 'num aoa'),
    td(el('span', r.alert === 'firing' ? 'firing' : 'ok', r.alert), 'alert'),
    td(sparkline(r.spark), 'trend'),
  );
  return tr;
}

/** The run's name (a link to its page), an archived mark and its tags as chips. */
function runCell(run: RunInfo): DocumentFragment {
  const f = document.createDocumentFragment();
  const a = el('a', 'name', run.name);
  a.href = `/runs/${encodeURIComponent(run.name)}`;
  f.append(a);
  if (run.archived === true) f.append(' ', el('span', 'badge', 'archived'));
  const chips = tagChips(run.tags);
  if (chips.childElementCount) f.append(chips);
  return f;
}

/** Tags as chips; a click puts `key:value` in the fleet's filter. */
function tagChips(tags: Record<string, string> | null): HTMLElement {
  const box = el('div', 'chips');
  for (const [k, v] of Object.entries(tags ?? {})) {
    const term = `${k}:${/[\s"]/.test(v) ? `"${v.replace(/"/g, '')}"` : v}`;
    const chip = el('button', 'chip', `${k}: ${v}`);
    chip.type = 'button';
    chip.title = `show runs tagged ${k}: ${v}`;
    chip.addEventListener('click', () => addFilterTerm(term));
    box.append(chip);
  }
  return box;
}

function addFilterTerm(term: string): void {
  const box = document.getElementById('filter') as HTMLInputElement | null;
  if (!box || box.offsetParent === null) {
    location.href = `/?q=${encodeURIComponent(term)}`;
    return;
  }
  const parsed = filterTerms(term)[0] ?? '';
  if (!filterTerms(box.value).includes(parsed)) box.value = `${box.value.trim()} ${term}`.trim();
  applyFleetFilter();
}

/** A polyline of the last points' KRS (or AOA), scaled to its own range. */
function sparkline(values: (number | null)[]): Node {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x));
  if (v.length < 2) return document.createTextNode('');
  const w = 120;
  const h = 24;
  const lo = Math.min(...v);
  const span = Math.max(...v) - lo || 1;
  const pts = v.map((x, i) => `${((i * w) / (v.length - 1)).toFixed(1)},${(h - 2 - ((x - lo) / span) * (h - 4)).toFixed(1)}`).join(' ');
  const s = svg('svg', { width: w, height: h, viewBox: `0 0 ${w} ${h}`, class: 'sparkline', 'aria-hidden': 'true' });
  s.append(svg('polyline', { fill: 'none', stroke: c.colors.krs, 'stroke-width': 1.5, points: pts }));
  return s;
}

/** The filter's terms, lower-case: `key:value`, `key:"a value"`, `"free text"` or words. */
function filterTerms(text: string): string[] {
  const out: string[] = [];
  for (const m of text.toLowerCase().matchAll(/([^\s:"]+):"([^"]*)"?|"([^"]*)"?|(\S+)/g)) {
    if (m[1] !== undefined) out.push(`${m[1]}:${m[2] ?? ''}`);
    else if ((m[3] ?? m[4]) !== undefined) out.push(m[3] ?? m[4] ?? '');
  }
  return out.filter(Boolean);
}

/** Whether a run passes one term: `key:value` matches a tag (key equal, value contained); other text the name, teacher or student. */
function termMatches(run: RunInfo, term: string): boolean {
  const i = term.indexOf(':');
  if (i > 0) {
    const key = term.slice(0, i);
    const value = term.slice(i + 1);
    return Object.entries(run.tags ?? {}).some(([k, v]) => k.toLowerCase() === key && v.toLowerCase().includes(value));
  }
  return [run.name, run.teacher, run.student].some((s) => (s ?? '').toLowerCase().includes(term));
}

/** Show the rows passing every term (archived runs only with the toggle on), and how many. */
function applyFleetFilter(): void {
  const terms = filterTerms(byId<HTMLInputElement>('filter').value);
  const archived = byId<HTMLInputElement>('show-archived').checked;
  const rows = byId<HTMLTableElement>('fleet').tBodies[0]!.rows;
  let shown = 0;
  fleet.rows.forEach((r, i) => {
    const ok = (archived || r.run.archived !== true) && terms.every((t) => termMatches(r.run, t));
    const tr = rows[i];
    if (tr) tr.hidden = !ok;
    if (ok) shown++;
  });
  byId('fleet-count').textContent = fleet.rows.length ? `${shown} of ${plural(fleet.rows.length, 'run')} shown` : 'no runs yet';
}

// ---------------------------------------------------------------- run page: state and loading

/** The run page: cards, chart (with overlays), layer table and alerts of one run, updated live. */
function startRun(name: string): void {
  rp.name = name;
  rp.main = newHolder(name, c.colors.krs, '');
  byId('run-page').hidden = false;
  document.title = `krs serve — ${name}`;
  byId('title').textContent = name;
  setUpChart();
  setUpPicker();
  streamThenLoad(name, () => schedule.request('load', loadRun), {
    point: onPoint,
    alert: () => schedule.request('alerts', loadAlerts),
    run: () => schedule.request('info', loadInfo),
  });
}

function newHolder(run: string, color: string, dash: string): Holder {
  return { run, entries: null, outputOnly: false, loading: true, queued: [], dirty: new Set(), color, dash };
}

/** Read everything afresh: the run, its alerts and its series (then the overlays', if the bucket changed). */
async function loadRun(): Promise<void> {
  const main = rp.main!;
  rp.loading = true;
  main.loading = true;
  try {
    const first = rp.info === null;
    const [, alerts] = await Promise.all([loadInfo(), api<AlertsReply>(runPath(rp.name, '/alerts'))]);
    renderAlerts(alerts);
    await loadSeries(main);
    if (rp.by === 'time' && (await fitBucket(main, first)) && rp.overlays.size) await loadOverlays();
  } finally {
    rp.loading = false;
    main.loading = false;
    for (const p of rp.queued.splice(0)) applyMainPoint(p);
    requestDraw();
  }
  void loadPicker();
}

/**
 * Fit a deployment's bucket to its series as read: coarser when it has more than
 * `maxBuckets` buckets; on the first read also finer when its points span much less time than
 * guessed (posted with earlier times). Re-reads the series if the bucket changed; whether it did.
 */
async function fitBucket(h: Holder, first: boolean): Promise<boolean> {
  const entries = h.entries ?? [];
  if (!entries.length) return false;
  const fit = chooseBucket(seriesSpan(entries) + rp.bucket);
  const coarser = entries.length > c.maxBuckets && fit > rp.bucket;
  const finer = first && fit * 4 <= rp.bucket;
  if (!coarser && !finer) return false;
  rp.bucket = fit;
  await loadSeries(h);
  return true;
}

/** The run itself: meta line, tags, cards and the latest point's layers. */
async function loadInfo(): Promise<void> {
  const info = await api<RunReply>(runPath(rp.name));
  rp.info = info;
  rp.readUpTo = info.latest?.id ?? 0;
  // Points whose events came but that this read did not cover yet stay counted.
  rp.counted = new Set([...rp.counted].filter((id) => id > rp.readUpTo));
  rp.points = info.points + rp.counted.size;
  rp.firing = info.alerts.some((r) => r.state === 'firing');
  if (info.run.kind === 'deployment' && rp.by !== 'time') {
    rp.by = 'time';
    rp.bucket = chooseBucket(initialSpan(info));
  }
  renderInfo(info.run);
  if (!rp.latest || (info.latest && info.latest.id >= rp.latest.id)) rp.latest = info.latest;
  renderLatest();
}

async function loadAlerts(): Promise<void> {
  renderAlerts(await api<AlertsReply>(runPath(rp.name, '/alerts')));
}

function seriesPath(run: string, range?: [number, number]): string {
  if (rp.by === 'step') return runPath(run, `/series?by=step${range ? `&fromStep=${range[0]}&toStep=${range[1]}` : ''}`);
  const q = range ? `&from=${new Date(range[0] * 1000).toISOString()}&to=${new Date((range[1] + rp.bucket) * 1000 - 1).toISOString()}` : '';
  return runPath(run, `/series?by=time&bucket=${rp.bucket}${q}`);
}

/** Read a run's whole series; point events that came meanwhile are applied after. */
async function loadSeries(h: Holder): Promise<void> {
  h.loading = true;
  h.dirty.clear();
  try {
    h.entries = (await api<{ series: Entry[] }>(seriesPath(h.run))).series;
    h.outputOnly = h.entries.length > 0 && h.entries.every((e) => e.krs === null);
  } finally {
    h.loading = false;
    for (const p of h.queued.splice(0)) applySeriesPoint(h, p);
  }
}

async function loadOverlays(): Promise<void> {
  await Promise.all([...rp.overlays.values()].map(loadSeries));
  requestDraw();
}

/** The time a deployment's points probably span (its creation, or its latest point, to now), seconds. */
function initialSpan(info: RunReply): number {
  const times = [Date.parse(info.run.created), Date.now()];
  if (info.latest) times.push(Date.parse(info.latest.time));
  const t = times.filter(Number.isFinite);
  return (Math.max(...t) - Math.min(...t)) / 1000;
}

function seriesSpan(entries: Entry[]): number {
  const t = entries.map((e) => Date.parse(e.time ?? ''));
  return (Math.max(...t) - Math.min(...t)) / 1000;
}

/** The smallest nice bucket (at least the minimum) giving at most `maxBuckets` buckets over the span. */
function chooseBucket(spanSeconds: number): number {
  const want = Math.max(c.minBucketSeconds, spanSeconds / c.maxBuckets);
  return NICE_BUCKETS.find((s) => s >= want) ?? Math.ceil(want / 86400) * 86400;
}

// ---------------------------------------------------------------- run page: live points

function onPoint(e: PointEvent): void {
  if (e.run === rp.name) {
    if (rp.loading) rp.queued.push(e.point);
    else applyMainPoint(e.point);
  }
  const overlay = rp.overlays.get(e.run);
  if (overlay) applySeriesPoint(overlay, e.point);
}

/** A new point of the page's run: count it once, show it if it is the latest, and chart it. */
function applyMainPoint(p: Point): void {
  if (p.id > rp.readUpTo && !rp.counted.has(p.id)) {
    rp.counted.add(p.id);
    rp.points++;
  }
  if (!rp.latest || p.id >= rp.latest.id) rp.latest = p;
  renderLatest();
  applySeriesPoint(rp.main!, p);
}

/** The step or time bucket (start, seconds) a point lands in; null when the series leaves it out. */
function pointKey(p: Point): number | null {
  if (rp.by === 'step') return p.step;
  const t = Date.parse(p.time);
  return Number.isFinite(t) ? Math.floor(t / 1000 / rp.bucket) * rp.bucket : null;
}

function entryKey(e: Entry): number {
  return rp.by === 'step' ? (e.step ?? 0) : Date.parse(e.time ?? '') / 1000;
}

/**
 * Chart a point: a step or bucket not drawn yet is added from the event's own scores (a
 * single point's scores are its merge); one already drawn has a new merged score, which is
 * re-read (that bucket only, throttled).
 */
function applySeriesPoint(h: Holder, p: Point): void {
  if (h.loading) return void h.queued.push(p);
  if (!h.entries) return;
  const key = pointKey(p);
  if (key === null) return;
  if (h.entries.some((e) => entryKey(e) === key)) {
    h.dirty.add(key);
    schedule.request(`bucket:${h.run}`, () => refetchDirty(h));
    return;
  }
  upsert(h, [entryOf(p, key)]);
  if (p.krs !== null) h.outputOnly = false;
  if (rp.by === 'time' && h.entries.length > 2 * c.maxBuckets) schedule.request('load', loadRun);
  requestDraw();
}

function entryOf(p: Point, key: number): Entry {
  const at = rp.by === 'step' ? { step: key } : { time: new Date(key * 1000).toISOString() };
  return { ...at, points: 1, n: p.n, fss: p.fss, aoa: p.aoa, krs: p.krs, ci95: p.scores.ci95 };
}

/** Re-read the changed steps or buckets of a run (one request for the range they span). */
async function refetchDirty(h: Holder): Promise<void> {
  const keys = [...h.dirty];
  h.dirty.clear();
  if (!keys.length || (h !== rp.main && rp.overlays.get(h.run) !== h)) return;
  const r = await api<{ series: Entry[] }>(seriesPath(h.run, [Math.min(...keys), Math.max(...keys)]));
  upsert(h, r.series);
  requestDraw();
}

/** Put entries into a series by key (entries never disappear: nothing is deleted). */
function upsert(h: Holder, entries: Entry[]): void {
  const byKey = new Map(h.entries!.map((e) => [entryKey(e), e]));
  for (const e of entries) byKey.set(entryKey(e), e);
  h.entries = [...byKey.entries()].sort((a, b) => a[0] - b[0]).map(([, e]) => e);
}

// ---------------------------------------------------------------- run page: rendering

function renderInfo(run: RunInfo): void {
  const parts = [run.kind, `${run.teacher || '—'} → ${run.student || '—'}`, run.task];
  if (run.teacherModel) parts.push('teacher runs on the server');
  if (run.archived === true) parts.push('archived');
  byId('meta').textContent = parts.join(' · ');
  byId('tags').replaceChildren(...tagChips(run.tags).children);
  byId('chart-title').textContent = chartTitle();
}

/** Cards and the layer table of the latest point. */
function renderLatest(): void {
  const l = rp.latest;
  byId('cards').replaceChildren(
    card('points', String(rp.points), 'points'),
    card('latest KRS', fmt(l?.krs), 'latest-krs'),
    card('FSS', fmt(l?.fss), 'latest-fss'),
    card('AOA', fmt(l?.aoa), 'latest-aoa'),
    card('n', l ? String(l.n) : '—', 'latest-n'),
    alertCard(),
  );
  const layers = l?.scores.layers ?? [];
  byId<HTMLTableElement>('layers').tBodies[0]!.replaceChildren(...layers.map(layerRow));
  byId('latest-at').textContent = l ? `${l.step !== null ? `step ${l.step} · ` : ''}${utc(l.time)} · ${l.source}` : 'no points yet';
  byId('warnings').replaceChildren(...(l?.scores.warnings ?? []).map((w) => el('li', '', w)));
}

function card(label: string, value: string, id: string): HTMLElement {
  const box = el('div', 'card');
  const v = el('div', 'v', value);
  v.id = id;
  box.append(v, el('div', 'l', label));
  return box;
}

function alertCard(): HTMLElement {
  const box = card('alerts', '', 'alert-state');
  box.firstElementChild!.append(alertBadge());
  return box;
}

function alertBadge(): HTMLElement {
  return el('span', rp.firing ? 'firing' : 'ok', rp.firing ? 'firing' : 'ok');
}

function layerRow(x: Layer): HTMLTableRowElement {
  const tr = el('tr');
  tr.append(td(x.teacher), td(x.student), td(x.similarity), td(fmt(x.score), 'num'), td(fmtInterval(x.ci95), 'num'), td(String(x.n), 'num'));
  return tr;
}

function renderAlerts(a: AlertsReply): void {
  rp.firing = a.rules.some((r) => r.state === 'firing');
  byId<HTMLTableElement>('rules').tBodies[0]!.replaceChildren(...a.rules.map(ruleRow));
  byId('events').replaceChildren(...a.events.map(eventItem));
  document.getElementById('alert-state')?.replaceChildren(alertBadge());
}

function ruleRow(r: Rule): HTMLTableRowElement {
  const tr = el('tr');
  const rule = `${r.kind} ${r.threshold}${r.window ? ` over ${r.window} points` : ''}`;
  tr.append(td(rule), td(el('span', r.state === 'firing' ? 'firing' : 'ok', r.state)), td(r.since ? utc(r.since) : ''), td(r.message ?? ''));
  return tr;
}

function eventItem(e: AlertsReply['events'][number]): HTMLLIElement {
  const li = el('li');
  li.append(`${utc(e.time)} `, el('b', '', e.state), ` ${e.message ?? ''}`);
  return li;
}

// ---------------------------------------------------------------- run page: overlays

/** The overlay picker: other runs (read when the page loads and when the picker is focused). */
function setUpPicker(): void {
  const picker = byId<HTMLSelectElement>('overlay-run');
  picker.addEventListener('focus', () => {
    if (Date.now() - rp.pickerRead > 10_000) void loadPicker();
  });
  picker.addEventListener('change', () => {
    const name = picker.value;
    picker.value = '';
    if (name) addOverlay(name);
  });
}

async function loadPicker(): Promise<void> {
  rp.pickerRead = Date.now();
  try {
    const { runs } = await api<{ runs: FleetRow[] }>('/v1/runs?archived=true');
    const picker = byId<HTMLSelectElement>('overlay-run');
    const options = runs
      .map((r) => r.run)
      .filter((r) => r.name !== rp.name && !rp.overlays.has(r.name))
      .map((r) => new Option(`${r.name}${r.archived === true ? ' (archived)' : ''}`, r.name));
    picker.replaceChildren(picker.options[0]!, ...options);
    picker.disabled = options.length === 0;
  } catch (e) {
    failed(e);
  }
}

/** Overlay a run: its KRS (or AOA) as one more line, in a colour of its own while it stays. */
function addOverlay(name: string): void {
  if (name === rp.name || rp.overlays.has(name)) return;
  const { color, dash } = overlayStyle(name);
  const h = newHolder(name, color, dash);
  rp.overlays.set(name, h);
  for (const o of [...byId<HTMLSelectElement>('overlay-run').options]) if (o.value === name) o.remove();
  requestDraw();
  if (rp.overlayStream) return void loadSeries(h).then(requestDraw, failed);
  // The first overlay: follow every run's events (the page's own stream is filtered to its run).
  rp.overlayStream = openStream(
    null,
    {
      open: () => void loadOverlays().catch(failed),
      closed: () => void loadOverlays().catch(failed),
      point: (e) => e.run !== rp.name && rp.overlays.has(e.run) && applySeriesPoint(rp.overlays.get(e.run)!, e.point),
      alert: () => {},
      run: () => {},
    },
    false,
  );
}

function removeOverlay(name: string): void {
  rp.overlays.delete(name);
  if (rp.overlays.size === 0) {
    rp.overlayStream?.close();
    rp.overlayStream = null;
  }
  void loadPicker();
  requestDraw();
}

/**
 * A run's overlay colour and dash: its name's hash picks a preferred slot (so a run gets the
 * same colour each time), taken slots move it to the next free one; existing overlays keep theirs.
 */
function overlayStyle(name: string): { color: string; dash: string } {
  const dashes = ['', '6 3', '2 3'];
  const k = c.overlayColors.length;
  let hash = 0;
  for (const ch of name) hash = (Math.imul(hash, 31) + (ch.codePointAt(0) ?? 0)) >>> 0;
  const taken = new Set([...rp.overlays.values()].map((h) => `${h.color}|${h.dash}`));
  // Solid colours first (from the preferred one on), then the dashed ones.
  for (let i = 0; i < k * dashes.length; i++) {
    const style = { color: c.overlayColors[(hash + i) % k]!, dash: dashes[Math.floor(i / k)]! };
    if (!taken.has(`${style.color}|${style.dash}`)) return style;
  }
  return { color: c.overlayColors[hash % k]!, dash: '' };
}

// ---------------------------------------------------------------- chart

/** Listeners on the chart's box (the SVG inside is redrawn): hover, touch, keys, resize. */
function setUpChart(): void {
  const box = byId('chart');
  box.addEventListener('pointermove', (e) => hoverAtPointer(e.clientX));
  box.addEventListener('pointerdown', (e) => hoverAtPointer(e.clientX));
  box.addEventListener('pointerleave', () => setHover(null));
  box.addEventListener('blur', () => setHover(null));
  box.addEventListener('keydown', onChartKey);
  let width = box.clientWidth;
  new ResizeObserver(() => {
    if (box.clientWidth === width) return;
    width = box.clientWidth;
    requestDraw();
  }).observe(box);
}

function requestDraw(): void {
  if (rp.drawQueued) return;
  rp.drawQueued = true;
  requestAnimationFrame(() => {
    rp.drawQueued = false;
    drawChart();
  });
}

/** Every line to draw: the run's KRS (with its band), FSS and AOA (AOA only if output-only), then each overlay's KRS (or AOA). */
function chartLines(): Line[] {
  const main = rp.main!;
  const entries = main.entries ?? [];
  const has = (m: Measure) => entries.some((e) => e[m] !== null);
  const lines: Line[] = [];
  const mk = (holder: Holder, measure: Measure, label: string, color: string, dash: string, cls: string): Line => ({
    holder,
    measure,
    label,
    color,
    dash,
    cls,
  });
  if (has('aoa') || !entries.length) lines.push(mk(main, 'aoa', 'AOA', c.colors.aoa, '', 'line aoa main'));
  if (has('fss')) lines.push(mk(main, 'fss', 'FSS', c.colors.fss, '', 'line fss main'));
  if (has('krs')) lines.push(mk(main, 'krs', 'KRS', c.colors.krs, '', 'line krs main'));
  for (const h of rp.overlays.values()) {
    const measure: Measure = h.outputOnly ? 'aoa' : 'krs';
    lines.push(mk(h, measure, `${h.run}${measure === 'aoa' ? ' (AOA)' : ''}`, h.color, h.dash, `line ${measure} overlay`));
  }
  return lines;
}

function xOf(e: Entry): number {
  return rp.by === 'step' ? (e.step ?? 0) : Date.parse(e.time ?? '');
}

/** Scales and ticks for the lines, the band, and a box `width` wide. */
function makeFrame(lines: Line[], width: number, height: number): Frame {
  const xsSet = new Set<number>();
  const ys: number[] = [];
  for (const l of lines)
    for (const e of l.holder.entries ?? []) {
      const v = e[l.measure];
      if (v === null) continue;
      xsSet.add(xOf(e));
      ys.push(v);
      const ci = l.measure === 'krs' && l.holder === rp.main ? e.ci95.krs : null;
      if (ci) ys.push(ci[0], ci[1]);
    }
  const xs = [...xsSet].sort((a, b) => a - b);
  const left = 44;
  const right = width - 12;
  const top = 10;
  const bottom = height - 34;
  const [x0, x1] = padDomain(xs[0] ?? 0, xs.at(-1) ?? 1, rp.by === 'step' ? 0.5 : (rp.bucket * 1000) / 2);
  const [y0, y1] = padDomain(Math.min(...ys, Number.POSITIVE_INFINITY), Math.max(...ys, Number.NEGATIVE_INFINITY), 0.05);
  const yPad = (y1 - y0) * 0.05;
  const x = linear(x0, x1, left + 6, right - 6);
  const y = linear(y0 - yPad, y1 + yPad, bottom, top);
  const xCount = Math.max(2, Math.floor((right - left) / (rp.by === 'step' ? 60 : 100)));
  const xTicks = rp.by === 'step' ? numberTicks(x0, x1, xCount, true) : timeTicks(x0, x1, xCount);
  const yTicks = numberTicks(y0 - yPad, y1 + yPad, Math.max(3, Math.floor((bottom - top) / 40)), false);
  const xLabel = rp.by === 'step' ? (v: number) => String(v) : timeLabeller(x0, x1, xTicks);
  return { width, height, left, right, top, bottom, x, y, xTicks, yTicks, xLabel, xs };
}

/** A domain with room around a single value (or none). */
function padDomain(lo: number, hi: number, pad: number): [number, number] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  return lo === hi ? [lo - pad, hi + pad] : [lo, hi];
}

function linear(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
  return (v) => r0 + (v - d0) * k;
}

/** About `count` round ticks in [lo, hi]; integers only when `integer` (steps). */
function numberTicks(lo: number, hi: number, count: number, integer: boolean): number[] {
  const raw = (hi - lo) / count;
  const p = 10 ** Math.floor(Math.log10(raw || 1));
  const m = raw / p;
  let step = (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
  if (integer) step = Math.max(1, Math.round(step));
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9 && out.length < 100; v += step) out.push(integer ? Math.round(v) : Number(v.toPrecision(12)));
  return out;
}

/** Ticks at round UTC times (multiples of a nice spacing). */
function timeTicks(lo: number, hi: number, count: number): number[] {
  const step = TIME_TICKS.find((s) => (hi - lo) / s <= count) ?? TIME_TICKS.at(-1)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi && out.length < 100; v += step) out.push(v);
  return out;
}

/** Labels of a time axis: dates, dates with times, times, or times with seconds, as the spacing needs (UTC). */
function timeLabeller(lo: number, hi: number, ticks: number[]): (v: number) => string {
  const step = ticks.length > 1 ? ticks[1]! - ticks[0]! : hi - lo;
  const iso = (v: number) => new Date(v).toISOString();
  if (step >= 86_400_000) return (v) => iso(v).slice(5, 10);
  if (hi - lo >= 86_400_000) return (v) => `${iso(v).slice(5, 10)} ${iso(v).slice(11, 16)}`;
  if (step < 60_000) return (v) => iso(v).slice(11, 19);
  return (v) => iso(v).slice(11, 16);
}

/** Draw the chart afresh into #chart (one SVG), the legend under it, and the hover if shown. */
function drawChart(): void {
  const box = byId('chart');
  const width = Math.max(160, box.clientWidth || 640);
  const height = Math.min(320, Math.max(200, Math.round(width * 0.45)));
  const lines = chartLines();
  const f = makeFrame(lines, width, height);
  rp.frame = f;
  rp.lines = lines;
  const root = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': chartTitle() });
  if (f.xs.length === 0) root.append(emptyNote(f));
  else root.append(axes(f), band(f), ...lines.flatMap((l) => linePath(f, l)), svg('g', { class: 'hover' }));
  box.querySelector('svg')?.remove();
  box.prepend(root);
  renderLegend(lines);
  if (rp.main?.entries) byId('chart-title').textContent = chartTitle();
  setHover(rp.hover !== null && f.xs.length ? Math.min(rp.hover, f.xs.length - 1) : null);
}

function chartTitle(): string {
  const what = rp.main?.outputOnly ? 'AOA' : 'FSS, AOA and KRS';
  return `${what} by ${rp.by === 'step' ? 'step' : `time (UTC, ${duration(rp.bucket)} buckets)`}`;
}

function emptyNote(f: Frame): SVGElement {
  const t = svg('text', { x: f.width / 2, y: f.height / 2, 'text-anchor': 'middle', class: 'empty' });
  t.textContent = rp.main?.entries ? (rp.by === 'step' ? 'no points with a step yet' : 'no points yet') : 'loading…';
  return t;
}

/** Grid, axis lines, tick labels and axis titles. */
function axes(f: Frame): SVGElement {
  const g = svg('g', { class: 'axis' });
  for (const v of f.yTicks) {
    const y = f.y(v).toFixed(1);
    g.append(svg('line', { x1: f.left, x2: f.right, y1: y, y2: y, stroke: c.colors.grid, class: 'grid' }));
    g.append(text(f.left - 6, Number(y) + 4, Number(v.toFixed(3)).toString(), 'end'));
  }
  g.append(svg('line', { x1: f.left, x2: f.right, y1: f.bottom, y2: f.bottom, stroke: c.colors.axis }));
  for (const v of f.xTicks) {
    const x = f.x(v);
    const label = f.xLabel(v);
    const half = label.length * 3.4; // about half the label's width at 11 px
    g.append(svg('line', { x1: x.toFixed(1), x2: x.toFixed(1), y1: f.bottom, y2: f.bottom + 4, stroke: c.colors.axis }));
    if (x - half >= 0 && x + half <= f.width) g.append(text(x, f.bottom + 15, label, 'middle'));
  }
  g.append(text(f.right, f.height - 3, rp.by === 'step' ? 'step' : 'time (UTC)', 'end', 'title'));
  return g;
}

function text(x: number, y: number, s: string, anchor: string, cls = ''): SVGElement {
  const t = svg('text', { x, y, 'text-anchor': anchor, fill: c.colors.ink, ...(cls ? { class: cls } : {}) });
  t.textContent = s;
  return t;
}

/** The 95 % interval of the run's KRS as a shaded area (one polygon per stretch without gaps). */
function band(f: Frame): SVGElement {
  const g = svg('g', { class: 'band' });
  let stretch: { x: number; lo: number; hi: number }[] = [];
  const flush = () => {
    if (stretch.length) {
      const top = stretch.map((p) => `${f.x(p.x).toFixed(1)},${f.y(p.hi).toFixed(1)}`);
      const bottom = stretch.map((p) => `${f.x(p.x).toFixed(1)},${f.y(p.lo).toFixed(1)}`).reverse();
      const d = stretch.length === 1 ? bar(f, stretch[0]!) : `M${[...top, ...bottom].join('L')}Z`;
      g.append(svg('path', { d, fill: c.colors.krs, 'fill-opacity': 0.18, stroke: 'none' }));
    }
    stretch = [];
  };
  for (const e of rp.main?.entries ?? []) {
    const ci = e.ci95.krs;
    if (ci && e.krs !== null) stretch.push({ x: xOf(e), lo: ci[0], hi: ci[1] });
    else flush();
  }
  flush();
  return g;
}

/** A lone interval as a thin bar. */
function bar(f: Frame, p: { x: number; lo: number; hi: number }): string {
  const x = f.x(p.x);
  return `M${(x - 3).toFixed(1)},${f.y(p.hi).toFixed(1)}H${(x + 3).toFixed(1)}V${f.y(p.lo).toFixed(1)}H${(x - 3).toFixed(1)}Z`;
}

/** One line (broken where a value is missing), with dots when there are few entries. */
function linePath(f: Frame, l: Line): SVGElement[] {
  const entries = l.holder.entries ?? [];
  let d = '';
  let pen = false;
  for (const e of entries) {
    const v = e[l.measure];
    if (v === null) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${f.x(xOf(e)).toFixed(1)},${f.y(v).toFixed(1)}`;
    pen = true;
  }
  const path = svg('path', { d: d || 'M0,0', fill: 'none', stroke: l.color, 'stroke-width': l.holder === rp.main ? 2 : 1.75, class: l.cls });
  if (l.dash) path.setAttribute('stroke-dasharray', l.dash);
  path.setAttribute('data-run', l.holder.run);
  const out = [path];
  if (entries.length <= MAX_MARKERS)
    for (const e of entries) {
      const v = e[l.measure];
      if (v !== null) out.push(svg('circle', { cx: f.x(xOf(e)).toFixed(1), cy: f.y(v).toFixed(1), r: 2.5, fill: l.color, class: 'marker' }));
    }
  return out;
}

function renderLegend(lines: Line[]): void {
  const items: HTMLElement[] = [];
  for (const l of lines) {
    const li = el('li');
    li.append(swatch(l.color, l.dash), l.holder === rp.main ? l.label : `${l.label}${l.measure === 'krs' ? ' KRS' : ''}`);
    if (l.holder !== rp.main && l.holder.entries?.length === 0) li.append(el('span', 'muted', ` (no points by ${rp.by})`));
    if (l.holder !== rp.main) li.append(removeButton(l.holder.run));
    items.push(li);
    if (l.holder === rp.main && l.measure === 'krs') {
      const band = el('li');
      const s = swatch(c.colors.krs);
      s.classList.add('band-swatch');
      band.append(s, '95 % interval of KRS');
      items.push(band);
    }
  }
  byId('legend').replaceChildren(...items);
}

function removeButton(run: string): HTMLButtonElement {
  const b = el('button', 'remove', '×');
  b.type = 'button';
  b.title = `remove ${run} from the chart`;
  b.setAttribute('aria-label', `remove ${run} from the chart`);
  b.addEventListener('click', () => removeOverlay(run));
  return b;
}

// ---------------------------------------------------------------- chart: hover

function hoverAtPointer(clientX: number): void {
  const root = byId('chart').querySelector('svg');
  const f = rp.frame;
  if (!root || !f?.xs.length) return;
  const r = root.getBoundingClientRect();
  const mx = ((clientX - r.left) * f.width) / (r.width || 1);
  let best = 0;
  f.xs.forEach((v, i) => {
    if (Math.abs(f.x(v) - mx) < Math.abs(f.x(f.xs[best]!) - mx)) best = i;
  });
  setHover(best);
}

function onChartKey(e: KeyboardEvent): void {
  const n = rp.frame?.xs.length ?? 0;
  if (!n) return;
  const i = rp.hover ?? (e.key === 'ArrowLeft' ? n : -1);
  if (e.key === 'ArrowLeft') setHover(Math.max(0, i - 1));
  else if (e.key === 'ArrowRight') setHover(Math.min(n - 1, i + 1));
  else if (e.key === 'Escape') setHover(null);
  else return;
  e.preventDefault();
}

/** Show (index into the frame's x positions) or hide the cursor, the dots at it and the tooltip. */
function setHover(i: number | null): void {
  rp.hover = i;
  const tip = byId('tooltip');
  const layer = byId('chart').querySelector('svg g.hover');
  layer?.replaceChildren();
  const f = rp.frame;
  if (i === null || !f || !layer) return void (tip.hidden = true);
  const xv = f.xs[i]!;
  const px = f.x(xv);
  layer.append(svg('line', { x1: px, x2: px, y1: f.top, y2: f.bottom, stroke: c.colors.muted, 'stroke-dasharray': '3 3' }));
  for (const l of rp.lines) {
    const e = entryAt(l.holder, xv);
    const v = e?.[l.measure];
    if (v !== null && v !== undefined) layer.append(svg('circle', { cx: px, cy: f.y(v), r: 4, fill: '#fff', stroke: l.color, 'stroke-width': 2 }));
  }
  tip.replaceChildren(...tooltipRows(xv));
  tip.hidden = false;
  placeTooltip(tip, px, f);
}

function entryAt(h: Holder, x: number): Entry | undefined {
  return h.entries?.find((e) => xOf(e) === x);
}

/** The tooltip's lines: where, the run's KRS with its interval, FSS, AOA, n, then each overlay's value. */
function tooltipRows(x: number): HTMLElement[] {
  const rows: HTMLElement[] = [el('div', 'head', rp.by === 'step' ? `step ${x}` : `${utc(x)} (${duration(rp.bucket)} bucket)`)];
  const e = entryAt(rp.main!, x);
  if (e) {
    if (e.krs !== null) rows.push(tipRow(c.colors.krs, `KRS ${fmt(e.krs, 3)} (95 %: ${fmtInterval(e.ci95.krs, 3)})`, 'tip-krs'));
    if (e.fss !== null) rows.push(tipRow(c.colors.fss, `FSS ${fmt(e.fss, 3)}`, 'tip-fss'));
    rows.push(tipRow(c.colors.aoa, `AOA ${fmt(e.aoa, 3)}`, 'tip-aoa'));
    rows.push(el('div', 'tip-n', `n ${e.n} · ${plural(e.points, 'point')}`));
  }
  for (const h of rp.overlays.values()) {
    const o = entryAt(h, x);
    if (!o) continue;
    const measure = h.outputOnly ? 'AOA' : 'KRS';
    rows.push(tipRow(h.color, `${h.run}: ${measure} ${fmt(h.outputOnly ? o.aoa : o.krs, 3)}`, 'tip-overlay', h.dash));
  }
  return rows;
}

function tipRow(color: string, s: string, cls: string, dash = ''): HTMLElement {
  const row = el('div', cls);
  row.append(swatch(color, dash), s);
  return row;
}

/** Beside the cursor, flipped to its left near the right edge, never outside the box (CSSOM, allowed by the CSP). */
function placeTooltip(tip: HTMLElement, px: number, f: Frame): void {
  const root = byId('chart').querySelector('svg');
  const scale = root ? root.getBoundingClientRect().width / f.width : 1;
  const x = px * scale;
  const boxWidth = byId('chart').clientWidth;
  const w = tip.offsetWidth;
  let left = x + 14;
  if (left + w > boxWidth) left = x - 14 - w;
  tip.style.left = `${Math.max(0, Math.min(left, boxWidth - w))}px`;
}

/** Every function of the page script, in source order: the served script declares them all (../dashboard.ts). */
export const DASHBOARD_CLIENT_FUNCTIONS: readonly ((...args: never[]) => unknown)[] = [
  pageScope,
  startDashboard,
  takeToken,
  safeDecode,
  runFromPath,
  api,
  refusal,
  runPath,
  byId,
  el,
  svg,
  td,
  swatch,
  fmt,
  fmtInterval,
  utc,
  duration,
  plural,
  showStatus,
  setConn,
  fresh,
  failed,
  makeScheduler,
  openStream,
  listen,
  streamThenLoad,
  startFleet,
  loadFleet,
  fleetRow,
  runCell,
  tagChips,
  addFilterTerm,
  sparkline,
  filterTerms,
  termMatches,
  applyFleetFilter,
  startRun,
  newHolder,
  loadRun,
  fitBucket,
  loadInfo,
  loadAlerts,
  seriesPath,
  loadSeries,
  loadOverlays,
  initialSpan,
  seriesSpan,
  chooseBucket,
  onPoint,
  applyMainPoint,
  pointKey,
  entryKey,
  applySeriesPoint,
  entryOf,
  refetchDirty,
  upsert,
  renderInfo,
  renderLatest,
  card,
  alertCard,
  alertBadge,
  layerRow,
  renderAlerts,
  ruleRow,
  eventItem,
  setUpPicker,
  loadPicker,
  addOverlay,
  removeOverlay,
  overlayStyle,
  setUpChart,
  requestDraw,
  chartLines,
  xOf,
  makeFrame,
  padDomain,
  linear,
  numberTicks,
  timeTicks,
  timeLabeller,
  drawChart,
  chartTitle,
  emptyNote,
  axes,
  text,
  band,
  bar,
  linePath,
  renderLegend,
  removeButton,
  hoverAtPointer,
  onChartKey,
  setHover,
  entryAt,
  tooltipRows,
  tipRow,
  placeTooltip,
];
