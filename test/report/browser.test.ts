/**
 * End to end in a real browser: `krs analyze … --report` and `krs score … --report` from the
 * built CLI, each report opened from disk in headless Chromium (Debian's /usr/bin/chromium,
 * driven by playwright-core). Every chart must render with a non-zero size, the page must make
 * no network request and log no error, and a full-page screenshot is saved under test/tmp/.
 *
 * At a 400 px viewport (a phone) every report must fit the page: nothing wider than the page
 * except inside a scroll region marked as such (edge shadows, a visible "scroll →" hint), every
 * chart visible, no console error, no network request.
 *
 * Skipped, with the reason printed, only where /usr/bin/chromium is missing (`.ci/run`
 * installs it with apt-get where apt is available).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { krs } from '../helpers/cli.js';
import { fixturePath } from '../helpers/fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];
const SHOTS = fileURLToPath(new URL('../tmp/browser/', import.meta.url));
const available = existsSync(CHROMIUM);
if (!available) console.warn(`browser test skipped: ${CHROMIUM} not found (install Debian's chromium: apt-get install -y chromium)`);

describe.skipIf(!available)('report in headless Chromium', () => {
  let browser: Browser;
  const dir = mkdtempSync(join(tmpdir(), 'krs-browser-'));

  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Open a report file; return what the page did. */
  async function open(file: string, shot: string) {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const url = pathToFileURL(file).href;
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => r.url() !== url && requests.push(r.url()));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url, { waitUntil: 'load' });
    const charts = await page.$$eval('figure svg[data-chart]', (svgs) =>
      svgs.map((s) => {
        const r = s.getBoundingClientRect();
        return { id: s.getAttribute('data-chart'), width: r.width, height: r.height, texts: s.querySelectorAll('text').length };
      }),
    );
    const figures = await page.$$eval('figure', (f) => f.length);
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, shot), fullPage: true });
    await page.close();
    return { requests, errors, charts, figures };
  }

  it('an analysis report: every chart drawn, no request, no error', async () => {
    const report = join(dir, 'analysis.html');
    const run = await krs('analyze', fixturePath('report/experiments.csv'), '--report', report);
    expect(run.status, run.stderr).toBe(0);
    const r = await open(report, 'analysis-report.png');
    expect(r.charts.map((c) => c.id)).toEqual(['krs-pre-post', 'krs-box', 'delta-heatmap', 'krs-vs-metric', 'method-rankings', 'alpha-sensitivity']);
    expect(r.figures).toBe(r.charts.length);
    for (const c of r.charts) {
      expect(c.width, c.id!).toBeGreaterThan(100);
      expect(c.height, c.id!).toBeGreaterThan(80);
      expect(c.texts, c.id!).toBeGreaterThan(5);
    }
    expect(r.requests).toEqual([]);
    expect(r.errors).toEqual([]);
    expect(existsSync(join(SHOTS, 'analysis-report.png'))).toBe(true);
  });

  it('a score report with the cross-layer heatmap', async () => {
    const report = join(dir, 'score.html');
    const run = await krs(
      'score',
      '--task',
      'classification',
      '--teacher',
      fixturePath('score/cls-teacher.npz'),
      '--student',
      fixturePath('score/cls-student.npz'),
      '--report',
      report,
    );
    expect(run.status, run.stderr).toBe(0);
    const r = await open(report, 'score-report.png');
    expect(r.charts.map((c) => c.id)).toEqual(['krs-composition', 'layer-similarity', 'cross-layer-cka']);
    for (const c of r.charts) expect(c.width * c.height, c.id!).toBeGreaterThan(100 * 80);
    expect(r.requests).toEqual([]);
    expect(r.errors).toEqual([]);
  });

  /** What {@link NARROW_PROBE} returns. */
  interface NarrowProbe {
    width: number;
    pageWidth: number;
    overflowing: string[];
    regions: { label: string; scrolls: boolean; hint: number; hintText: string; shadows: number; right: number }[];
    charts: { id: string | null; width: number; height: number; left: number; shown: boolean }[];
  }
  /** Run in the page: elements wider than the page outside scroll regions, the regions and their cues, the charts' boxes. */
  const NARROW_PROBE = `(() => {
    const width = document.documentElement.clientWidth;
    const overflowing = [...document.querySelectorAll('body *')]
      .filter((e) => !e.closest('.scroll') && e.getBoundingClientRect().right > width + 0.5)
      .map((e) => e.tagName.toLowerCase() + '.' + e.className);
    const regions = [...document.querySelectorAll('.scroll')].map((e) => {
      const hint = e.querySelector('.scroll-hint');
      return {
        label: e.getAttribute('aria-label') || '',
        scrolls: e.scrollWidth > e.clientWidth + 1,
        hint: hint ? Number(getComputedStyle(hint).opacity) : -1,
        hintText: hint ? hint.textContent : '',
        shadows: getComputedStyle(e).backgroundImage.split('gradient').length - 1,
        right: e.getBoundingClientRect().right,
      };
    });
    const charts = [...document.querySelectorAll('figure svg[data-chart]')].map((s) => {
      const b = s.getBoundingClientRect();
      const st = getComputedStyle(s);
      return { id: s.getAttribute('data-chart'), width: b.width, height: b.height, left: b.left, shown: st.display !== 'none' && st.visibility === 'visible' };
    });
    return { width, pageWidth: document.documentElement.scrollWidth, overflowing, regions, charts };
  })()`;

  /** Open a report at a phone's width with every table shown; what overflows and how it is marked. */
  async function openNarrow(file: string, shot: string) {
    const page = await browser.newPage({ viewport: { width: 400, height: 800 } });
    const url = pathToFileURL(file).href;
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => r.url() !== url && requests.push(r.url()));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url, { waitUntil: 'load' });
    // In-page code as text: this project type-checks without the DOM library.
    await page.evaluate("for (const d of document.querySelectorAll('details')) d.open = true");
    // Scroll-driven animations update on the next frames.
    await page.evaluate('new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))');
    await page.waitForTimeout(100);
    const r = (await page.evaluate(NARROW_PROBE)) as NarrowProbe;
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, shot), fullPage: true });
    await page.close();
    return { ...r, requests, errors };
  }

  function expectFitsA400pxPage(r: Awaited<ReturnType<typeof openNarrow>>, charts: number) {
    expect(r.width).toBe(400);
    expect(r.pageWidth, 'the page scrolls sideways').toBeLessThanOrEqual(r.width);
    expect(r.overflowing, 'wider than the page outside a scroll region').toEqual([]);
    expect(r.charts.length).toBe(charts);
    for (const c of r.charts) {
      expect(c.shown, c.id!).toBe(true);
      expect(c.width, c.id!).toBeGreaterThan(150);
      expect(c.height, c.id!).toBeGreaterThan(80);
      expect(c.left, c.id!).toBeGreaterThanOrEqual(0);
    }
    for (const g of r.regions) {
      expect(g.right, g.label).toBeLessThanOrEqual(r.width);
      expect(g.shadows, `${g.label}: edge shadows`).toBe(4);
      expect(g.hintText).toBe('scroll →');
      // The hint shows exactly where the region scrolls.
      expect(g.hint > 0, `${g.label}: hint opacity ${g.hint}, scrolls ${g.scrolls}`).toBe(g.scrolls);
    }
    expect(r.regions.some((g) => g.scrolls)).toBe(true);
    expect(r.requests).toEqual([]);
    expect(r.errors).toEqual([]);
  }

  it('at 400 px: the analysis report fits, wide charts and tables scroll in marked regions', async () => {
    const report = join(dir, 'analysis-narrow.html');
    const run = await krs('analyze', fixturePath('report/experiments.csv'), '--report', report);
    expect(run.status, run.stderr).toBe(0);
    expectFitsA400pxPage(await openNarrow(report, 'analysis-report-400.png'), 6);
  });

  it('at 400 px: the demo report (cards, heatmaps at natural size) fits', async () => {
    const out = join(dir, 'demo');
    const run = await krs('demo', '--quick', '--out', out, '--no-progress');
    expect(run.status, run.stderr).toBe(0);
    const r = await openNarrow(join(out, 'report.html'), 'demo-report-400.png');
    expectFitsA400pxPage(r, r.charts.length);
    expect(r.charts.map((c) => c.id)).toContain('cross-layer-cka');
    const heatmap = r.regions.find((g) => g.label.startsWith('Cross-layer CKA'))!;
    expect(heatmap.scrolls).toBe(true);
  });

  it('at 400 px: the regression score report with its prediction charts fits', async () => {
    const report = join(dir, 'regression-narrow.html');
    const run = await krs(
      'score',
      '--task',
      'regression',
      '--teacher',
      fixturePath('report/reg-h4-teacher.npz'),
      '--student',
      fixturePath('report/reg-h4-student.npz'),
      '--report',
      report,
    );
    expect(run.status, run.stderr).toBe(0);
    const r = await openNarrow(report, 'regression-report-400.png');
    expectFitsA400pxPage(r, 6);
    expect(r.charts.map((c) => c.id)).toEqual([
      'krs-composition',
      'regression-scatter',
      'regression-residuals',
      'regression-horizon',
      'layer-similarity',
      'cross-layer-cka',
    ]);
  });
});
