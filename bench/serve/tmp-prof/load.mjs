// Temporary profiling driver (not committed): post one case for N seconds with 8 clients.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBodies } from '../bodies.mjs';
import { closedLoop, keepAlive, request, json } from '../http.mjs';
const [url, which, seconds = '8'] = process.argv.slice(2);
const b = await makeBodies(mkdtempSync(join(tmpdir(), 'prof-')));
const body = b[which];
const agent = keepAlive(8);
const name = `p-${which}-${Date.now()}`;
await json(agent, `${url}/v1/runs`, { name, task: 'classification', settings: body.settings });
const r = await closedLoop({
  clients: 8,
  count: 100000,
  seconds: Number(seconds),
  expect: 201,
  send: (i) => request(agent, `${url}/v1/runs/${name}/states`, { method: 'POST', type: 'application/json', body: body.parts(i) }),
});
console.log(which, r.perSecond.toFixed(0), 'posts/s', 'p50', r.p50?.toFixed(1), 'p99', r.p99?.toFixed(1), r.firstError ?? '');
process.exit(0);
