/**
 * HTTP clients of bench/serve: node:http with keep-alive agents (so connection set-up does not
 * dominate), a closed-loop load generator (each client sends, waits for the answer, sends
 * again; bounded by a request count and a deadline, whichever comes first), latency summaries,
 * and a server-sent-events reader.
 */
import http from 'node:http';

/** A keep-alive agent for `sockets` concurrent requests. */
export function keepAlive(sockets) {
  return new http.Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
}

/**
 * One request. `body` is a Buffer, a string or an array of them (sent one after the other, not
 * copied into one); resolves `{status, text}` once the whole answer has arrived.
 */
export function request(agent, url, { method = 'GET', type, body } = {}) {
  const u = new URL(url);
  const parts = body === undefined ? [] : Array.isArray(body) ? body : [body];
  const length = parts.reduce((a, p) => a + (typeof p === 'string' ? Buffer.byteLength(p) : p.length), 0);
  const headers = {};
  if (body !== undefined) {
    headers['content-length'] = length;
    if (type) headers['content-type'] = type;
  }
  return new Promise((resolve, reject) => {
    const req = http.request({ agent, host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    for (let i = 0; i < parts.length - 1; i++) req.write(parts[i]);
    req.end(parts.at(-1));
  });
}

/** GET/POST JSON; throws on a status other than `expect`. */
export async function json(agent, url, body, expect = body === undefined ? 200 : 201) {
  const r = await request(agent, url, body === undefined ? {} : { method: 'POST', type: 'application/json', body: JSON.stringify(body) });
  if (r.status !== expect) throw new Error(`${url}: ${r.status} ${r.text.slice(0, 300)}`);
  return JSON.parse(r.text);
}

/** The q-quantile of sorted values (nearest rank), or null when there are none. */
export function quantile(sorted, q) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Latency summary (ms) of unsorted values. */
export function summarize(latencies) {
  const s = Float64Array.from(latencies).sort();
  return { p50: quantile(s, 0.5), p99: quantile(s, 0.99), max: s.length ? s[s.length - 1] : null };
}

/**
 * Closed-loop load: `clients` concurrent loops, each calling `send(i)` (i = 0, 1, … across all
 * clients; resolves `{status, text}`), waiting for it, and calling again, until `count` requests
 * were sent or `seconds` have passed. A status other than `expect` is an error (counted, the
 * first one's message kept); a failed connection is an error too and ends that client's loop.
 * `stop()` (optional) ends the loops early. Wall time runs from the start to the last answer.
 */
export async function closedLoop({ clients, count, seconds, expect, send, stop = () => false }) {
  const latencies = [];
  let sent = 0;
  let errors = 0;
  let firstError = null;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const loop = async () => {
    while (sent < count && performance.now() < deadline && !stop()) {
      const i = sent++;
      const t0 = performance.now();
      try {
        const r = await send(i);
        if (r.status === expect) latencies.push(performance.now() - t0);
        else {
          errors++;
          firstError ??= `${r.status} ${r.text.slice(0, 300)}`;
        }
      } catch (e) {
        errors++;
        firstError ??= e.message;
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, loop));
  const wall = (performance.now() - started) / 1000;
  return { ok: latencies.length, errors, firstError, seconds: wall, perSecond: latencies.length / wall, ...summarize(latencies) };
}

/**
 * A server-sent-events connection (its own socket): calls `onEvent(type, data)` for each event;
 * `opened` resolves once the response has started; `close()` ends it.
 */
export function eventStream(url, onEvent) {
  const u = new URL(url);
  let req;
  let buffered = '';
  const opened = new Promise((resolve, reject) => {
    req = http.get({ agent: false, host: u.hostname, port: u.port, path: u.pathname + u.search, headers: { accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`${url}: ${res.statusCode}`));
        res.resume();
        return;
      }
      res.setEncoding('utf8');
      res.on('data', (c) => {
        buffered += c;
        let end = buffered.indexOf('\n\n');
        while (end >= 0) {
          const block = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          let type = 'message';
          const data = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event:')) type = line.slice(6).trim();
            else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
          }
          if (data.length) onEvent(type, data.join('\n'));
          end = buffered.indexOf('\n\n');
        }
      });
      res.on('error', () => {});
      resolve();
    });
    req.on('error', (e) => reject(e));
  });
  return {
    opened,
    close() {
      req.on('error', () => {});
      req.destroy();
    },
  };
}
