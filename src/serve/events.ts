/**
 * The server-sent event streams of `/v1/events` (docs/service.md §"API"): one subscription to
 * the service's `point`, `alert` and `run` events, each serialised once and written to every
 * open stream that wants it (all runs, or the one named by `?run=`). A stream more than 1 MiB
 * behind is dropped (its reader is gone or too slow); at most {@link MAX_STREAMS} are open.
 */

import type { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';

/** Most event streams open at once, and the most a slow reader may fall behind before it is dropped. */
export const MAX_STREAMS = 1000;
const MAX_BACKLOG = 1 << 20;
const KEEP_ALIVE_MS = 15_000;

interface Stream {
  res: ServerResponse;
  only: string | undefined;
}

export class EventHub {
  private readonly streams = new Set<Stream>();
  private readonly beat: NodeJS.Timeout;

  constructor(source: EventEmitter) {
    for (const type of ['point', 'alert', 'run']) source.on(type, (data: { run?: string; name?: string }) => this.send(type, data));
    this.beat = setInterval(() => {
      for (const s of this.streams) s.res.write(': keep-alive\n\n');
    }, KEEP_ALIVE_MS);
    this.beat.unref();
  }

  get open(): number {
    return this.streams.size;
  }

  /** Add a stream (its headers written by the caller) until it closes. */
  add(res: ServerResponse, only: string | undefined): void {
    const s = { res, only };
    this.streams.add(s);
    res.write(': krs events\n\n');
    res.on('close', () => this.streams.delete(s));
  }

  private send(type: string, data: { run?: string; name?: string }): void {
    if (this.streams.size === 0) return;
    const run = data.run ?? data.name;
    const frame = `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const s of this.streams) {
      if (s.only && run !== s.only) continue;
      if (s.res.writableLength > MAX_BACKLOG) s.res.destroy();
      else s.res.write(frame);
    }
  }

  close(): void {
    clearInterval(this.beat);
    for (const s of this.streams) s.res.destroy();
    this.streams.clear();
  }
}
