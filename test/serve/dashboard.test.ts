/**
 * The dashboard. Without a browser: `registerDashboard` answers one static shell (the same
 * bytes for every run name) with the CSP and the other security headers, and its assets.
 * In headless Chromium (Debian's /usr/bin/chromium through playwright-core): the fleet and
 * run pages load with no request leaving the server; a point posted while they are open
 * appears without a reload and without any chart.svg request (server-sent events; a changed
 * step or bucket is re-read alone); the XSS address runs nothing; no sideways overflow at
 * 400 px; overlays, hover values, the tag filter and the archived toggle work. The browser
 * part is skipped, with the reason printed, where /usr/bin/chromium is missing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import type { Browser, Page, Request } from 'playwright-core';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_CLIENT_FUNCTIONS, PAGE_SCOPE_NAMES } from '../../src/serve/dashboard/client.js';
import { DASHBOARD_CSP, registerDashboard } from '../../src/serve/dashboard.js';
import { type RunningServer, startServer } from '../../src/serve/server.js';
import { batch, RUN, sqliteStore, type TestStore, testApp } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];
const available = existsSync(CHROMIUM);
if (!available) console.warn(`dashboard browser test skipped: ${CHROMIUM} not found (install Debian's chromium: apt-get install -y chromium)`);

/** The address from the security review: its run name closes the old inline script and opens one. */
const XSS_PATH = "/runs/%3C%2Fscript%3E%3Cscript%3Ealert(sessionStorage['krs-token'])%3C%2Fscript%3E";
const XSS_NAME = "</script><script>alert(sessionStorage['krs-token'])</script>";
/** Payloads that would set a global if any of them ran. */
const PWN_NAMES = ['</script><script>window.__pwned=1</script>', '<img src=x onerror="window.__pwned=1">', '"><svg onload="window.__pwned=1">'];

const SECURITY_HEADERS = {
  'content-security-policy': DASHBOARD_CSP,
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};
/** Generous: the machine is shared and slow; nothing here asserts a wall-clock bound. */
const POLL = { timeout: 30_000 };

describe('dashboard shell (no browser)', () => {
  it('answers the same bytes for every run name, with the CSP and the other security headers', async () => {
    const app = Fastify();
    registerDashboard(app);
    await app.ready();
    const paths = ['/', '/runs/a', '/runs/distil-1', XSS_PATH, ...PWN_NAMES.map((n) => `/runs/${encodeURIComponent(n)}`)];
    const replies = await Promise.all(paths.map((url) => app.inject({ url })));
    for (const [i, r] of replies.entries()) {
      expect(r.statusCode, paths[i]).toBe(200);
      expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(r.headers).toMatchObject(SECURITY_HEADERS);
      expect(r.body).toBe(replies[0]!.body);
    }
    const html = replies[0]!.body;
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)/); // no inline script
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i); // no inline style or handler
    expect(html).not.toContain('distil-1');
    await app.close();
  });

  it('serves the script and stylesheet named by content hash, long-cached, with their types', async () => {
    const app = Fastify();
    registerDashboard(app);
    await app.ready();
    const html = (await app.inject({ url: '/' })).body;
    const js = /<script src="(\/assets\/dashboard\.js\?v=[0-9a-f]{16})" defer><\/script>/.exec(html)?.[1];
    const css = /<link rel="stylesheet" href="(\/assets\/dashboard\.css\?v=[0-9a-f]{16})">/.exec(html)?.[1];
    expect(js && css).toBeTruthy();
    const script = await app.inject({ url: js! });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.headers['cache-control']).toMatch(/max-age=31536000/);
    expect(script.headers['x-content-type-options']).toBe('nosniff');
    expect(() => new Function(script.body)).not.toThrow(); // the function's source, as served, parses
    expect(script.body).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
    expect(script.body).not.toContain('chart.svg');
    const style = await app.inject({ url: css! });
    expect(style.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(style.headers['cache-control']).toMatch(/max-age=31536000/);
    expect(style.body).toContain('.tooltip');
    await app.close();
  });

  it('serves every function of dashboard/client.ts, in one scope with every page-scope name', async () => {
    // The served functions see only each other and the page scope: a function or scope name
    // missing from the lists would be a ReferenceError in the browser alone.
    const file = fileURLToPath(new URL('../../src/serve/dashboard/client.ts', import.meta.url));
    const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const functions = sf.statements.filter(ts.isFunctionDeclaration).map((f) => f.name!.text);
    const ambient = sf.statements
      .filter((s): s is ts.VariableStatement => ts.isVariableStatement(s) && (s.modifiers ?? []).some((m) => m.kind === ts.SyntaxKind.DeclareKeyword))
      .flatMap((s) => s.declarationList.declarations.map((d) => d.name.getText()));
    const pageScope = sf.statements.find((s): s is ts.FunctionDeclaration => ts.isFunctionDeclaration(s) && s.name?.text === 'pageScope');
    const returned = pageScope?.body?.statements.find(ts.isReturnStatement)?.expression;
    const scopeKeys = returned && ts.isObjectLiteralExpression(returned) ? returned.properties.map((p) => p.name!.getText()) : [];
    expect(DASHBOARD_CLIENT_FUNCTIONS.map((f) => f.name)).toEqual(functions);
    expect(functions.length).toBeGreaterThan(50);
    expect([...ambient].sort()).toEqual([...PAGE_SCOPE_NAMES].sort());
    expect(scopeKeys).toEqual([...PAGE_SCOPE_NAMES]);
    const app = Fastify();
    registerDashboard(app);
    const script = (await app.inject({ url: '/assets/dashboard.js' })).body;
    await app.close();
    for (const name of functions) expect(script.match(new RegExp(`^(?:async )?function ${name}\\(`, 'gm'))?.length, name).toBe(1);
    expect(script).toContain(`const { ${PAGE_SCOPE_NAMES.join(', ')} } = pageScope({`);
    expect(script.trimEnd().endsWith('startDashboard();\n})();')).toBe(true);
  });

  it('is what the app serves at / and /runs/x, outside the OpenAPI document', async () => {
    const ts = await sqliteStore();
    const { app } = await testApp(ts.store);
    try {
      const [root, run] = await Promise.all([app.inject({ url: '/' }), app.inject({ url: '/runs/x' })]);
      for (const r of [root, run]) {
        expect(r.statusCode).toBe(200);
        expect(r.headers).toMatchObject(SECURITY_HEADERS);
      }
      expect(run.body).toBe(root.body);
      const paths = Object.keys((app as unknown as { swagger(): { paths: object } }).swagger().paths);
      expect(paths.filter((p) => !p.startsWith('/v1/'))).toEqual([]);
    } finally {
      await app.close();
      await ts.cleanup();
    }
  });
});

/** Hover the right end of a page's chart and read the tooltip (again on each call: a live chart may be redrawn in between). */
async function hoverEnd(page: Page): Promise<string> {
  const box = await page.locator('#chart svg').boundingBox();
  if (!box) return '';
  await page.mouse.move(box.x + box.width - 4, box.y + box.height / 2);
  return (await page.locator('#tooltip').textContent()) ?? '';
}

describe.skipIf(!available)('dashboard in headless Chromium', { timeout: 240_000 }, () => {
  let browser: Browser;
  let ts: TestStore;
  let server: RunningServer;
  let token: string;
  const post = async (path: string, body: unknown) => {
    const r = await fetch(server.url + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
    expect(r.status, await r.clone().text()).toBe(201);
    return (await r.json()) as { point: { krs: number | null; aoa: number } };
  };
  const get = async <T>(path: string): Promise<T> => {
    const r = await fetch(server.url + path, { headers: { authorization: `Bearer ${token}` } });
    expect(r.status).toBe(200);
    return (await r.json()) as T;
  };

  beforeAll(async () => {
    ts = await sqliteStore();
    await ts.store.close();
    // Tokens on, even on loopback: the page must read with the token it is given.
    server = await startServer({ store: ts.location, port: 0, auth: 'on', rateLimit: 0 });
    token = (await server.store.createToken('test', 'write')).token;
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
    await post('/v1/runs', { name: 'distil-1', ...RUN, tags: { team: 'vision' } });
    await post('/v1/runs/distil-1/batches', { step: 0, ...batch(40, 1) });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await ts?.cleanup();
  });

  /** Open a page with the token; record requests (all, and those to other sites), page errors and dialogs. */
  async function open(path: string, width = 1280) {
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    const requests: string[] = [];
    const sent: Request[] = [];
    const foreign: string[] = [];
    const errors: string[] = [];
    const dialogs: string[] = [];
    page.on('request', (r) => {
      requests.push(r.url());
      sent.push(r);
      if (!r.url().startsWith(server.url)) foreign.push(r.url());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(`${server.url}${path}#token=${token}`);
    return { page, requests, sent, foreign, errors, dialogs };
  }

  const live = (page: Page) => expect.poll(() => page.locator('#status').textContent(), POLL).toMatch(/^live/);
  const overflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth);

  it('fleet page: every run, its latest KRS, updated live when a point arrives', async () => {
    const { page, foreign, errors } = await open('/');
    const row = page.locator('tr[data-run="distil-1"]');
    await expect.poll(() => row.locator('.points').textContent(), POLL).toBe('1');
    const first = Number(await row.locator('.krs').textContent());
    expect(first).toBeGreaterThan(0);
    await live(page);
    const p = await post('/v1/runs/distil-1/batches', { step: 1, ...batch(40, 2) });
    await expect.poll(() => row.locator('.points').textContent(), POLL).toBe('2');
    expect(Number(await row.locator('.krs').textContent())).toBeCloseTo(p.point.krs!, 2);
    // A run created while the page is open appears too.
    await post('/v1/runs', { name: 'edge-7', kind: 'deployment', ...RUN });
    await expect.poll(() => page.locator('tr[data-run="edge-7"]').count(), POLL).toBe(1);
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('run page: chart, layer table and alerts, updated live', async () => {
    await post('/v1/runs/distil-1/alerts', { kind: 'krs_below', threshold: 99.9 });
    const { page, foreign, errors } = await open('/runs/distil-1');
    await expect.poll(() => page.locator('#points').textContent(), POLL).toBe('2');
    await expect.poll(() => page.locator('#chart svg').count(), POLL).toBe(1);
    expect(await page.locator('#layers tbody tr').count()).toBe(1);
    await live(page);
    const p = await post('/v1/runs/distil-1/batches', { step: 2, ...batch(40, 3) });
    await expect.poll(() => page.locator('#points').textContent(), POLL).toBe('3');
    expect(await page.locator('#latest-krs').textContent()).toBe(p.point.krs!.toFixed(2));
    await expect.poll(() => page.locator('#rules tbody tr').first().textContent(), POLL).toMatch(/krs_below 99\.9firing/);
    expect(await page.locator('#chart svg path').count()).toBeGreaterThan(0);
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('without a token the page shows the refusal and no data', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/`);
    await expect.poll(() => page.locator('#status').textContent(), POLL).toMatch(/error: .*token/);
    expect(await page.locator('tr[data-run]').count()).toBe(0);
    await page.close();
  });

  it('the XSS address opens with no dialog and no script run, and shows the name as text', async () => {
    for (const [path, name] of [[XSS_PATH, XSS_NAME], ...PWN_NAMES.map((n) => [`/runs/${encodeURIComponent(n)}`, n])] as const) {
      const { page, foreign, errors, dialogs } = await open(path);
      await expect.poll(() => page.locator('#title').textContent(), POLL).toBe(name);
      await expect.poll(() => page.locator('#status').textContent(), POLL).toMatch(/^error: run (name .*: expected|.* does not exist)/);
      expect(await page.locator('#title *').count()).toBe(0); // text, no elements
      expect(await page.locator('img, #run-page script').count()).toBe(0);
      expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
      expect(await page.title()).toBe(`krs serve — ${name}`);
      expect(dialogs).toEqual([]);
      expect(foreign).toEqual([]);
      expect(errors).toEqual([]);
      await page.close();
    }
  });

  it('answers one shell with the CSP and the other headers for / and every /runs/x', async () => {
    const replies = await Promise.all(['/', '/runs/x', '/runs/distil-1', XSS_PATH].map((p) => fetch(server.url + p)));
    const bodies = await Promise.all(replies.map((r) => r.text()));
    for (const r of replies) for (const [k, v] of Object.entries(SECURITY_HEADERS)) expect(r.headers.get(k), k).toBe(v);
    expect(new Set(bodies).size).toBe(1);
    const { page } = await open('/runs/x');
    const reply = await page.reload();
    expect(reply?.headers()['content-security-policy']).toBe(DASHBOARD_CSP);
    await page.close();
  });

  it('has no sideways overflow at 400 px (nor at 1280 px) on both pages', async () => {
    const long = `run-${'long'.repeat(20)}`;
    await post('/v1/runs', { name: long, ...RUN, teacher: 't'.repeat(60), tags: { team: 'vision', note: 'a rather long tag value that goes on' } });
    await post(`/v1/runs/${long}/batches`, { step: 0, ...batch(40, 7) });
    for (const width of [400, 1280]) {
      for (const path of ['/', '/runs/distil-1', `/runs/${long}`, XSS_PATH]) {
        const { page, foreign, errors } = await open(path, width);
        if (path === '/') await expect.poll(() => page.locator(`tr[data-run="${long}"]`).count(), POLL).toBe(1);
        else await expect.poll(() => page.locator('#title').textContent(), POLL).not.toBe('');
        if (path !== XSS_PATH) await expect.poll(() => page.locator('#chart svg, #fleet tbody tr').count(), POLL).toBeGreaterThan(0);
        expect(await overflow(page), `${path} at ${width} px`).toBeLessThanOrEqual(width);
        expect(foreign).toEqual([]);
        expect(errors).toEqual([]);
        await page.close();
      }
    }
  });

  it('overlays a second run as a second KRS line in its own colour, live', async () => {
    await post('/v1/runs', { name: 'distil-2', ...RUN, tags: { team: 'nlp' } });
    for (const step of [0, 1, 2]) await post('/v1/runs/distil-2/batches', { step, ...batch(40, 20 + step) });
    const { page, requests, foreign, errors } = await open('/runs/distil-1');
    const krsLines = page.locator('#chart svg path.line.krs');
    await expect.poll(() => krsLines.count(), POLL).toBe(1);
    await expect.poll(() => page.locator('#overlay-run option[value="distil-2"]').count(), POLL).toBe(1);
    await page.selectOption('#overlay-run', 'distil-2');
    await expect.poll(() => krsLines.count(), POLL).toBe(2);
    const overlay = page.locator('#chart svg path.line.krs.overlay[data-run="distil-2"]');
    const main = page.locator('#chart svg path.line.krs.main');
    expect(await overlay.getAttribute('stroke')).not.toBe(await main.getAttribute('stroke'));
    expect(await page.locator('#legend').textContent()).toContain('distil-2 KRS');
    // The overlay follows its run's points too.
    await expect.poll(() => overlay.getAttribute('d'), POLL).toMatch(/^M[^M]*L[^M]*L[^M]*$/); // three steps
    const before = await overlay.getAttribute('d');
    await post('/v1/runs/distil-2/batches', { step: 3, ...batch(40, 23) });
    await expect.poll(() => overlay.getAttribute('d'), POLL).not.toBe(before);
    // Removing it leaves one KRS line.
    await page.locator('#legend button.remove').click();
    await expect.poll(() => krsLines.count(), POLL).toBe(1);
    expect(requests.filter((u) => u.includes('chart.svg'))).toEqual([]);
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('hovering the chart shows a tooltip with the step, KRS and its interval, FSS, AOA and n', async () => {
    const { series } = await get<{ series: { step: number; krs: number; fss: number; aoa: number; n: number; ci95: { krs: [number, number] } }[] }>(
      '/v1/runs/distil-1/series?by=step',
    );
    const last = series.at(-1)!;
    const { page, foreign, errors } = await open('/runs/distil-1');
    await expect.poll(() => page.locator('#chart svg path.line.krs').count(), POLL).toBe(1);
    const tip = page.locator('#tooltip');
    expect(await tip.isVisible()).toBe(false);
    await expect.poll(async () => (await hoverEnd(page)) && tip.isVisible(), POLL).toBe(true);
    const text = (await tip.textContent())!;
    expect(text).toContain(`step ${last.step}`);
    expect(text).toContain(`KRS ${last.krs.toFixed(3)} (95 %: ${last.ci95.krs[0].toFixed(3)} to ${last.ci95.krs[1].toFixed(3)})`);
    expect(text).toContain(`FSS ${last.fss.toFixed(3)}`);
    expect(text).toContain(`AOA ${last.aoa.toFixed(3)}`);
    expect(text).toContain(`n ${last.n}`);
    // The keyboard moves it a step back.
    await page.locator('#chart').focus();
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => tip.textContent(), POLL).toContain(`step ${series.at(-2)!.step}`);
    await page.mouse.move(1, 1);
    await expect.poll(() => tip.isVisible(), POLL).toBe(false);
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows tags as chips; the filter hides runs by tag or text; archived runs only on request', async () => {
    const { page, foreign, errors } = await open('/');
    const row = (name: string) => page.locator(`tr[data-run="${name}"]`);
    await expect.poll(() => row('distil-2').count(), POLL).toBe(1);
    expect(await row('distil-2').locator('.chip').textContent()).toBe('team: nlp');
    await page.fill('#filter', 'team:nlp');
    await expect.poll(() => row('distil-1').isHidden(), POLL).toBe(true);
    expect(await row('distil-2').isVisible()).toBe(true);
    await page.fill('#filter', 'distil-1');
    await expect.poll(() => row('distil-2').isHidden(), POLL).toBe(true);
    expect(await row('distil-1').isVisible()).toBe(true);
    await page.fill('#filter', '');
    await expect.poll(() => row('distil-2').isVisible(), POLL).toBe(true);
    // A chip's click filters by its tag.
    await row('distil-2').locator('.chip').click();
    expect(await page.inputValue('#filter')).toBe('team:nlp');
    await expect.poll(() => row('distil-1').isHidden(), POLL).toBe(true);
    await page.close();

    // An archived run: hidden until "show archived" is ticked.
    const archive = (archived: boolean) =>
      fetch(`${server.url}/v1/runs/distil-2`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ archived }),
      });
    expect((await archive(true)).status).toBe(200);
    const second = await browser.newPage();
    await second.goto(`${server.url}/#token=${token}`);
    const row2 = (name: string) => second.locator(`tr[data-run="${name}"]`);
    await expect.poll(() => row2('distil-2').count(), POLL).toBe(1);
    expect(await row2('distil-2').isHidden()).toBe(true);
    expect(await row2('distil-1').isVisible()).toBe(true);
    await second.check('#show-archived');
    await expect.poll(() => row2('distil-2').isVisible(), POLL).toBe(true);
    expect(await row2('distil-2').textContent()).toContain('archived');
    await second.close();
    expect((await archive(false)).status).toBe(200);
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('a post while the run page is open updates it with zero chart.svg requests; a changed step is re-read alone', async () => {
    await post('/v1/runs', { name: 'live-3', ...RUN });
    await post('/v1/runs/live-3/batches', { step: 0, ...batch(40, 30) });
    const { page, requests, foreign, errors } = await open('/runs/live-3');
    await expect.poll(() => page.locator('#points').textContent(), POLL).toBe('1');
    await expect.poll(() => page.locator('#chart svg circle.marker').count(), POLL).toBe(3); // KRS, FSS, AOA at step 0
    await live(page);
    // A new step is drawn from the event's data: no series request for it.
    const p1 = await post('/v1/runs/live-3/batches', { step: 1, ...batch(40, 31) });
    await expect.poll(() => page.locator('#points').textContent(), POLL).toBe('2');
    expect(await page.locator('#latest-krs').textContent()).toBe(p1.point.krs!.toFixed(2));
    await expect.poll(() => page.locator('#chart svg circle.marker').count(), POLL).toBe(6);
    expect(requests.filter((u) => u.includes('/series?') && u.includes('fromStep'))).toEqual([]);
    // A second point at step 1 changes that step's merged score: only step 1 is re-read.
    await post('/v1/runs/live-3/batches', { step: 1, ...batch(40, 32) });
    await expect.poll(() => page.locator('#points').textContent(), POLL).toBe('3');
    await expect.poll(() => requests.filter((u) => u.includes('/v1/runs/live-3/series?by=step&fromStep=1&toStep=1')).length, POLL).toBe(1);
    const merged = (await get<{ series: { krs: number }[] }>('/v1/runs/live-3/series?by=step&fromStep=1&toStep=1')).series[0]!;
    await expect.poll(() => hoverEnd(page), POLL).toContain(`KRS ${merged.krs.toFixed(3)}`);
    expect(await page.locator('#tooltip').textContent()).toContain('n 80 · 2 points');
    expect(requests.filter((u) => u.includes('chart.svg'))).toEqual([]);
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a deployment (output-only) charts AOA by time buckets and re-reads a changed bucket alone', async () => {
    await post('/v1/runs', { name: 'edge-9', kind: 'deployment', ...RUN, settings: { pairs: [] } });
    const outputs = (seed: number) => {
      const b = batch(30, seed);
      return { teacherOutput: b.teacherOutput, studentOutput: b.studentOutput };
    };
    for (const [i, time] of ['2026-01-01T00:00:00Z', '2026-01-01T00:10:00Z', '2026-01-01T00:20:00Z'].entries())
      await post('/v1/runs/edge-9/batches', { time, ...outputs(40 + i) });
    const { page, requests, foreign, errors } = await open('/runs/edge-9');
    await expect.poll(() => page.locator('#chart svg path.line.aoa').count(), POLL).toBe(1);
    expect(await page.locator('#chart svg path.line.krs').count()).toBe(0);
    await expect.poll(() => page.locator('#chart svg circle.marker').count(), POLL).toBe(3);
    expect(await page.locator('#latest-krs').textContent()).toBe('—');
    const bucket = Number(/bucket=(\d+)/.exec(requests.filter((u) => u.includes('/series?by=time')).at(-1)!)![1]);
    expect(600 % bucket).toBe(0); // one bucket per point: the bucket fits the points' span, not the run's age
    await live(page);
    await post('/v1/runs/edge-9/batches', { time: '2026-01-01T00:20:30Z', ...outputs(50) });
    await expect.poll(() => page.locator('#points').textContent(), POLL).toBe('4');
    const start = new Date(Math.floor(Date.parse('2026-01-01T00:20:30Z') / 1000 / bucket) * bucket * 1000).toISOString();
    await expect.poll(() => requests.filter((u) => u.includes(`/v1/runs/edge-9/series?by=time&bucket=${bucket}&from=${start}`)).length, POLL).toBe(1);
    await expect.poll(() => hoverEnd(page), POLL).toContain('n 60 · 2 points');
    expect(await page.locator('#tooltip').textContent()).not.toContain('KRS');
    expect(requests.filter((u) => u.includes('chart.svg'))).toEqual([]);
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('throttles the fetches events cause to one per 2 s per page', async () => {
    await post('/v1/runs', { name: 'burst-4', ...RUN });
    for (const step of [0, 1]) await post('/v1/runs/burst-4/batches', { step, ...batch(40, 70 + step) });
    const fleet = await open('/');
    const run = await open('/runs/burst-4');
    const points = async () => (await get<{ points: number }>('/v1/runs/burst-4')).points;
    const start = await points();
    await expect.poll(() => fleet.page.locator('tr[data-run="burst-4"] .points').textContent(), POLL).toBe(String(start));
    await expect.poll(() => run.page.locator('#points').textContent(), POLL).toBe(String(start));
    await expect.poll(() => run.requests.filter((u) => u.endsWith('/v1/runs?archived=true')).length, POLL).toBe(1); // the overlay picker's list
    await live(fleet.page);
    await live(run.page);
    const marks = [fleet.sent.length, run.sent.length];
    for (let i = 0; i < 5; i++) await post('/v1/runs/burst-4/batches', { step: 1, ...batch(40, 60 + i) });
    await expect.poll(() => fleet.page.locator('tr[data-run="burst-4"] .points').textContent(), POLL).toBe(String(start + 5));
    await expect.poll(() => run.page.locator('#points').textContent(), POLL).toBe(String(start + 5));
    const merged = (await get<{ series: { points: number }[] }>('/v1/runs/burst-4/series?by=step&fromStep=1&toStep=1')).series[0]!;
    await expect.poll(() => hoverEnd(run.page), POLL).toContain(`${merged.points} points`);
    /** Start times (the browser's clock) of the API reads after the mark (all caused by events), except the event stream. */
    const starts = async (sent: Request[], from: number) => {
      const reads = sent.slice(from).filter((r) => r.url().includes('/v1/') && !r.url().includes('/v1/events'));
      await Promise.all(reads.map((r) => r.response()));
      return reads.map((r) => r.timing().startTime).sort((a, b) => a - b);
    };
    for (const [i, p] of [fleet, run].entries()) {
      const t = await starts(p.sent, marks[i]!);
      expect(t.length).toBeGreaterThan(0);
      for (let k = 1; k < t.length; k++) expect(t[k]! - t[k - 1]!, `gap ${k} on page ${i}`).toBeGreaterThanOrEqual(1900);
      expect(p.requests.filter((u) => u.includes('chart.svg'))).toEqual([]);
      expect(p.foreign).toEqual([]);
      expect(p.errors).toEqual([]);
      await p.page.close();
    }
  });
});
