/**
 * The throughput measurements of bench/serve, on one store: the ceilings (the krs server's
 * `GET /v1/health`; the bare server's one-row inserts) and the post cases, each `clients`
 * closed-loop clients after an untimed warm-up.
 */
import { spawnSync } from 'node:child_process';
import { size } from './bodies.mjs';
import { cpuSnapshot, othersSince } from './cpu.mjs';
import { closedLoop, json, request } from './http.mjs';

/**
 * Dirty pages flushed (`sync`: the last measurement's writeback is not billed to this one),
 * warm-up of `o.warmup` seconds (JIT of this workload's path, connections, the heap's size:
 * a first measurement after a 0.1 s warm-up ran 25 % slow), then the timed load; `others` is the
 * fraction of the machine other processes took meanwhile (cpu.mjs).
 */
export async function measure(o, send, expect) {
  spawnSync('sync');
  await closedLoop({ clients: o.clients, count: o.count, seconds: o.warmup, expect, send });
  const snap = cpuSnapshot();
  const r = await closedLoop({ clients: o.clients, count: o.count, seconds: o.seconds, expect, send });
  return { ...r, others: othersSince(snap) };
}

/** The ceilings: health of the krs server, and the bare inserts matching each case's body. */
export async function ceilings(o, krs, bare, bodies) {
  const { small, s78k, s1m, batch } = bodies;
  const out = {};
  out.health = {
    name: 'krs GET /v1/health',
    ...(await measure(o, () => request(krs.agent, `${krs.url}/v1/health`), 200)),
  };
  out.insert = {
    name: `bare insert ${size(small.bytes)} text`,
    bytes: small.bytes,
    ...(await measure(o, (i) => request(bare.agent, `${bare.url}/insert`, { method: 'POST', type: 'application/json', body: small.parts(i) }), 201)),
  };
  const blob = async (key, body) => {
    const bytes = Array.isArray(body) ? body.reduce((a, x) => a + Buffer.byteLength(x), 0) : body.length;
    out[key] = {
      name: `bare insert ${size(bytes)} blob`,
      bytes,
      ...(await measure(o, () => request(bare.agent, `${bare.url}/insert-blob`, { method: 'POST', type: 'application/octet-stream', body }), 201)),
    };
  };
  await blob('blob78kJson', s78k.parts(0));
  await blob('blob78kBin', s78k.binary);
  await blob('blob1mJson', s1m.parts(0));
  await blob('blob1mBin', s1m.binary);
  out.receive = {
    name: `bare receive ${size(batch.body.length)}, insert 400 B`,
    bytes: batch.body.length,
    ...(await measure(o, () => request(bare.agent, `${bare.url}/insert-small`, { method: 'POST', type: 'application/x-npz', body: batch.body }), 201)),
  };
  return out;
}

/** The post cases, in order; each names the ceiling it is compared with and its target. */
export function caseList(bodies) {
  const { small, s78k, s1m, batch } = bodies;
  const min = (rate) => (r) => r.perSecond >= rate;
  return [
    {
      id: 'state-300B',
      what: `output-only state, JSON (${size(small.bytes)})`,
      body: small,
      form: 'json',
      ceiling: 'insert',
      target: '≥ 50 % of bare, ≥ 1,000/s, p99 < 100 ms',
      met: (r, c) => r.perSecond >= 0.5 * c.perSecond && r.perSecond >= 1000 && r.p99 < 100,
    },
    { id: 'state-78kB', what: `KrsMetric state ${s78k.widths}, JSON`, body: s78k, form: 'json', ceiling: 'blob78kJson', target: '', met: null },
    { id: 'state-78kB bin', what: `the same, state file`, body: s78k, form: 'binary', ceiling: 'blob78kBin', target: '', met: null },
    { id: 'state-1MB', what: `KrsMetric state ${s1m.widths}, JSON`, body: s1m, form: 'json', ceiling: 'blob1mJson', target: '≥ 100/s', met: min(100) },
    { id: 'state-1MB bin', what: 'the same, state file', body: s1m, form: 'binary', ceiling: 'blob1mBin', target: '≥ 100/s', met: min(100) },
    {
      id: 'batch-256x1000',
      what: `output-only batch, .npz ${batch.shape} float32 × 2`,
      body: batch,
      form: 'npz',
      ceiling: 'receive',
      target: '≥ 20,000 samples/s',
      met: (r) => r.perSecond * batch.samples >= 20000,
    },
  ];
}

/** How to post `form` bodies to a run; the step counter is the run's own. */
export function poster(krs, run, c) {
  let step = 0;
  const base = `${krs.url}/v1/runs/${run}`;
  if (c.form === 'json') return () => request(krs.agent, `${base}/states`, { method: 'POST', type: 'application/json', body: c.body.parts(step++) });
  if (c.form === 'binary')
    return () => request(krs.agent, `${base}/states?step=${step++}`, { method: 'POST', type: 'application/x-krs-state', body: c.body.binary });
  return () => request(krs.agent, `${base}/batches?step=${step++}`, { method: 'POST', type: 'application/x-npz', body: c.body.body });
}

/** One post case on its own run: created, probed (binary states: n/a when refused), measured. */
export async function runCase(o, krs, c, ceiling, runName) {
  await json(krs.agent, `${krs.url}/v1/runs`, { name: runName, task: 'classification', settings: c.body.settings });
  const send = poster(krs, runName, c);
  const base = {
    id: c.id,
    what: c.what,
    run: runName,
    bytes: c.form === 'binary' ? c.body.binary.length : c.form === 'npz' ? c.body.body.length : c.body.bytes,
  };
  if (c.form === 'binary') {
    const probe = await send();
    if (probe.status === 415 || probe.status === 400) {
      return { ...base, na: 'server does not take binary states', probe: `${probe.status} ${probe.text.slice(0, 200)}` };
    }
  }
  const r = await measure(o, send, 201);
  const samples = c.form === 'npz' ? c.body.samples : null;
  const out = {
    ...base,
    ...r,
    samplesPerSecond: samples ? r.perSecond * samples : null,
    ceiling: ceiling.name,
    ceilingPerSecond: ceiling.perSecond,
    ratio: r.perSecond / ceiling.perSecond,
    target: c.target,
  };
  out.met = c.met ? r.errors === 0 && c.met(r, ceiling) : null;
  return out;
}
