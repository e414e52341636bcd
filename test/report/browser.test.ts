/**
 * End to end in a real browser: `krs analyze … --report` and `krs score … --report` from the
 * built CLI, each report opened from disk in headless Chromium (Debian's /usr/bin/chromium,
 * driven by playwright-core). Every chart must render with a non-zero size, the page must make
 * no network request and log no error, and a full-page screenshot is saved under test/tmp/.
 *
 * Skipped, with the reason printed, only where /usr/bin/chromium is missing (`.ci/run`
 * installs it with apt-get where apt is available).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
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
});
