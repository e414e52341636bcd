/**
 * The scenarios of bench/serve beyond plain throughput, on one store:
 *
 *   dashboard  post latency of 78 kB states with no dashboard tab open, then with `tabs` tabs:
 *              each an SSE client on `/v1/events?run=…` that, on every `point` event, fetches
 *              `GET /v1/runs/{name}` and the point's step of `series?by=step` — at most one
 *              fetch per 2 s per tab (later events wait for the next slot; one fetch then
 *              covers them all), the tabs' slots spread over the 2 s as tabs opened at
 *              different times would be;
 *   reads      a run of `points` small points (posted before timing), its whole window read
 *              repeatedly by 2 clients while 2 other clients poll `GET /v1/health`;
 *   crash      8 clients post 1 MB states; SIGKILL once 40 are acknowledged; a new server on
 *              the same store must hold every acknowledged post, each restoring (window n).
 */
import { measure, poster } from './cases.mjs';
import { cpuSnapshot, othersSince } from './cpu.mjs';
import { closedLoop, eventStream, json, keepAlive, request, summarize } from './http.mjs';
import { serveKrs, stop } from './servers.mjs';

const TAB_INTERVAL_MS = 2000;

/** A dashboard tab on `run` (see the module comment) whose first fetch may come `phase` ms after it opens. */
function openTab(url, run, phase) {
  const agent = keepAlive(2);
  const latencies = [];
  let events = 0;
  let errors = 0;
  let firstError = null;
  let last = performance.now() - TAB_INTERVAL_MS + phase;
  let timer = null;
  let inflight = null;
  let pending = false;
  let closed = false;
  let step = 0;
  const fetchNow = () => {
    timer = null;
    last = performance.now();
    const s = step;
    const t0 = performance.now();
    inflight = Promise.all([request(agent, `${url}/v1/runs/${run}`), request(agent, `${url}/v1/runs/${run}/series?by=step&fromStep=${s}&toStep=${s}`)])
      .then((rs) => {
        latencies.push(performance.now() - t0);
        for (const r of rs) {
          if (r.status === 200) continue;
          errors++;
          firstError ??= `${r.status} ${r.text.slice(0, 200)}`;
        }
      })
      .catch((e) => {
        errors++;
        firstError ??= e.message;
      })
      .finally(() => {
        inflight = null;
        if (pending && !closed) {
          pending = false;
          schedule();
        }
      });
  };
  const schedule = () => {
    if (closed || timer) return;
    if (inflight) {
      pending = true;
      return;
    }
    const wait = last + TAB_INTERVAL_MS - performance.now();
    if (wait <= 0) fetchNow();
    else timer = setTimeout(fetchNow, wait);
  };
  const es = eventStream(`${url}/v1/events?run=${encodeURIComponent(run)}`, (type, data) => {
    if (type !== 'point') return;
    events++;
    try {
      step = JSON.parse(data).point.step ?? step;
    } catch {}
    schedule();
  });
  return {
    opened: es.opened,
    async close() {
      closed = true;
      clearTimeout(timer);
      await inflight;
      es.close();
      agent.destroy();
      return { events, latencies, errors, firstError };
    },
  };
}

/** Post latency of 78 kB states with 0, then `o.tabs`, dashboard tabs open. */
export async function dashboard(o, krs, s78k) {
  const run = 'dashboard-78kB';
  await json(krs.agent, `${krs.url}/v1/runs`, { name: run, task: 'classification', settings: s78k.settings });
  const send = poster(krs, run, { form: 'json', body: s78k });
  const none = await measure(o, send, 201);
  // Tabs opened at different times: their fetch slots spread evenly over the 2 s, not in lockstep.
  const tabs = Array.from({ length: o.tabs }, (_, k) => openTab(krs.url, run, (k * TAB_INTERVAL_MS) / o.tabs));
  let open;
  let tabStats;
  try {
    await Promise.all(tabs.map((t) => t.opened));
    open = await measure(o, send, 201);
  } finally {
    tabStats = await Promise.all(tabs.map((t) => t.close()));
  }
  const fetch = summarize(tabStats.flatMap((t) => t.latencies));
  const tabErrors = tabStats.reduce((a, t) => a + t.errors, 0);
  return {
    run,
    tabs: o.tabs,
    none,
    open,
    ratioP50: open.p50 / none.p50,
    ratioP99: open.p99 / none.p99,
    tabEvents: tabStats.reduce((a, t) => a + t.events, 0),
    tabFetches: tabStats.reduce((a, t) => a + t.latencies.length, 0),
    tabFetchP50: fetch.p50,
    tabFetchP99: fetch.p99,
    tabErrors,
    tabFirstError: tabStats.find((t) => t.firstError)?.firstError ?? null,
    met: none.errors === 0 && open.errors === 0 && tabErrors === 0 && open.p50 <= 1.2 * none.p50 && open.p99 <= 1.2 * none.p99,
  };
}

/** Window reads over `o.points` points while health is polled. */
export async function reads(o, krs, small) {
  const run = 'reads-window';
  await json(krs.agent, `${krs.url}/v1/runs`, { name: run, task: 'classification', settings: small.settings });
  const send = poster(krs, run, { form: 'json', body: small });
  const fill = await closedLoop({ clients: 2 * o.clients, count: o.points, seconds: 600, expect: 201, send });
  const { points } = await json(krs.agent, `${krs.url}/v1/runs/${run}`);
  const readAgent = keepAlive(2);
  const healthAgent = keepAlive(2);
  let reading = true;
  let answered = null;
  try {
    // One untimed read (and a check that it spans every point).
    answered = (await json(readAgent, `${krs.url}/v1/runs/${run}/window`)).points;
    const health = closedLoop({
      clients: 2,
      count: Number.POSITIVE_INFINITY,
      seconds: 3600,
      expect: 200,
      send: () => request(healthAgent, `${krs.url}/v1/health`),
      stop: () => !reading,
    });
    const snap = cpuSnapshot();
    const window = await closedLoop({
      clients: 2,
      count: Number.POSITIVE_INFINITY,
      seconds: o.seconds,
      expect: 200,
      send: () => request(readAgent, `${krs.url}/v1/runs/${run}/window`),
    });
    reading = false;
    const h = await health;
    const others = othersSince(snap);
    return {
      others,
      run,
      points,
      windowPoints: answered,
      fill: { ok: fill.ok, errors: fill.errors, firstError: fill.firstError, seconds: fill.seconds, perSecond: fill.perSecond },
      window,
      health: h,
      met: window.errors === 0 && h.errors === 0 && answered === points && h.p99 < 50,
    };
  } finally {
    reading = false;
    readAgent.destroy();
    healthAgent.destroy();
  }
}

/** SIGKILL under load, restart, check every acknowledged post (see the module comment). */
export async function crash(location, s1m) {
  const first = await serveKrs(location);
  const agent = keepAlive(8);
  const run = 'crash';
  await json(agent, `${first.url}/v1/runs`, { name: run, task: 'classification', settings: s1m.settings });
  const acked = new Set();
  let next = 0;
  let dead = false;
  const client = async () => {
    while (!dead) {
      const step = next++;
      try {
        const r = await request(agent, `${first.url}/v1/runs/${run}/states`, { method: 'POST', type: 'application/json', body: s1m.parts(step) });
        if (r.status === 201) acked.add(step);
      } catch {}
    }
  };
  const clients = Array.from({ length: 8 }, client);
  const until = Date.now() + 10_000;
  while (acked.size < 40 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
  dead = true;
  await stop(first.child);
  await Promise.allSettled(clients);
  agent.destroy();
  const again = await serveKrs(location);
  const agent2 = keepAlive(1);
  try {
    const { points } = await json(agent2, `${again.url}/v1/runs/${run}/points`);
    const steps = new Set(points.map((p) => p.step));
    const missing = [...acked].filter((s) => !steps.has(s)).length;
    const w = await json(agent2, `${again.url}/v1/runs/${run}/window`);
    const whole = w.points === points.length && w.scores.n === s1m.samples * points.length && steps.size === points.length;
    return { acknowledged: acked.size, stored: points.length, missing, whole, met: acked.size > 0 && missing === 0 && whole };
  } finally {
    agent2.destroy();
    await stop(again.child);
  }
}
