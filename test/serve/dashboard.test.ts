/**
 * The dashboard in headless Chromium (Debian's /usr/bin/chromium through playwright-core):
 * the fleet and run pages load with no request leaving the server, and a point posted while
 * they are open appears on them without a reload (server-sent events). Skipped, with the
 * reason printed, where /usr/bin/chromium is missing.
 */
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/serve/server.js';
import { batch, RUN, sqliteStore, type TestStore } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];
const available = existsSync(CHROMIUM);
if (!available) console.warn(`dashboard browser test skipped: ${CHROMIUM} not found (install Debian's chromium: apt-get install -y chromium)`);

describe.skipIf(!available)('dashboard in headless Chromium', () => {
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
    return (await r.json()) as { point: { krs: number } };
  };

  beforeAll(async () => {
    ts = await sqliteStore();
    await ts.store.close();
    // Tokens on, even on loopback: the page must read with the token it is given.
    server = await startServer({ store: ts.location, port: 0, auth: 'on', rateLimit: 0 });
    token = (await server.store.createToken('test', 'write')).token;
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
    await post('/v1/runs', { name: 'distil-1', ...RUN });
    await post('/v1/runs/distil-1/batches', { step: 0, ...batch(40, 1) });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await ts?.cleanup();
  });

  async function open(path: string) {
    const page = await browser.newPage();
    const foreign: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(server.url)) foreign.push(r.url());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}${path}#token=${token}`);
    return { page, foreign, errors };
  }

  it('fleet page: every run, its latest KRS, updated live when a point arrives', async () => {
    const { page, foreign, errors } = await open('/');
    const row = page.locator('tr[data-run="distil-1"]');
    await expect.poll(() => row.locator('.points').textContent(), { timeout: 10_000 }).toBe('1');
    const first = Number(await row.locator('.krs').textContent());
    expect(first).toBeGreaterThan(0);
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 10_000 }).toMatch(/^live/);
    const p = await post('/v1/runs/distil-1/batches', { step: 1, ...batch(40, 2) });
    await expect.poll(() => row.locator('.points').textContent(), { timeout: 10_000 }).toBe('2');
    expect(Number(await row.locator('.krs').textContent())).toBeCloseTo(p.point.krs, 2);
    // A run created while the page is open appears too.
    await post('/v1/runs', { name: 'edge-7', kind: 'deployment', ...RUN });
    await expect.poll(() => page.locator('tr[data-run="edge-7"]').count(), { timeout: 10_000 }).toBe(1);
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('run page: chart, layer table and alerts, updated live', async () => {
    await post('/v1/runs/distil-1/alerts', { kind: 'krs_below', threshold: 99.9 });
    const { page, foreign, errors } = await open('/runs/distil-1');
    await expect.poll(() => page.locator('#points').textContent(), { timeout: 10_000 }).toBe('2');
    expect(await page.locator('#chart svg').count()).toBe(1);
    expect(await page.locator('#layers tbody tr').count()).toBe(1);
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 10_000 }).toMatch(/^live/);
    const p = await post('/v1/runs/distil-1/batches', { step: 2, ...batch(40, 3) });
    await expect.poll(() => page.locator('#points').textContent(), { timeout: 10_000 }).toBe('3');
    expect(await page.locator('#latest-krs').textContent()).toBe(p.point.krs.toFixed(2));
    expect(await page.locator('#rules tbody tr').first().textContent()).toMatch(/krs_below 99\.9firing/);
    expect(await page.locator('#chart svg path').count()).toBeGreaterThan(0);
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('without a token the page shows the refusal and no data', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/`);
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 10_000 }).toMatch(/error: .*token/);
    expect(await page.locator('tr[data-run]').count()).toBe(0);
    await page.close();
  });
});
