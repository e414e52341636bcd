/**
 * Webhook deliveries (docs/service.md §"Alerts"): an alert transition writes its delivery to
 * the `krs_outbox` table in the point's transaction, so a delivery is never lost with the
 * process; this loop sends what is due, each delivery claimed for a lease first (so two
 * processes sharing a store do not both send it), and retries failures (network error,
 * timeout, non-2xx status) with a doubling delay until the attempts run out. A restart picks up
 * every delivery still pending: delivery is at least once.
 */
import type { Store } from './store/types.js';

export interface WebhookOptions {
  /** Attempts in all (default 6). */
  attempts?: number;
  /** Delay before the second attempt in ms, doubled after each failure (default 500, at most 10 min). */
  backoffMs?: number;
  /** Per-attempt timeout in ms (default 5000). */
  timeoutMs?: number;
  /** How often the loop looks for due deliveries, ms (default 1000). */
  pollMs?: number;
}

export interface Outbox {
  /** Look for due deliveries now (after a commit that wrote one). */
  wake(): void;
  /** Deliveries being sent now (tests wait for them). */
  readonly inFlight: Set<Promise<void>>;
  /** Wait until nothing is being sent or due within the next poll. */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

const MAX_DELAY_MS = 600_000;

export function startOutbox(store: Store, o: WebhookOptions = {}): Outbox {
  const attempts = o.attempts ?? 6;
  const backoff = o.backoffMs ?? 500;
  const timeout = o.timeoutMs ?? 5000;
  const lease = timeout + 30_000;
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  let scanning: Promise<void> | null = null;

  const send = async (d: { id: number; url: string; payload: string; attempts: number }) => {
    let error: string;
    try {
      const r = await fetch(d.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: d.payload, signal: AbortSignal.timeout(timeout) });
      await r.arrayBuffer().catch(() => {});
      if (r.ok) return store.settleDelivery(d.id, { delivered: true });
      error = `HTTP ${r.status}`;
    } catch (e) {
      error = ((e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message ?? String(e)).slice(0, 200);
    }
    if (d.attempts >= attempts) return store.settleDelivery(d.id, { failed: true, error });
    const delay = Math.min(MAX_DELAY_MS, backoff * 2 ** (d.attempts - 1));
    return store.settleDelivery(d.id, { retryAt: new Date(Date.now() + delay).toISOString(), error });
  };

  const scan = async () => {
    const due = await store.claimDeliveries(new Date().toISOString(), lease, 50).catch(() => []);
    for (const d of due) {
      const p: Promise<void> = send(d)
        .catch(() => {})
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
  };
  const wake = () => {
    if (stopped || scanning) return;
    scanning = scan().finally(() => {
      scanning = null;
    });
  };
  const timer = setInterval(wake, o.pollMs ?? 1000);
  timer.unref();
  wake();
  return {
    wake,
    inFlight,
    async drain() {
      for (;;) {
        await scanning;
        if (inFlight.size === 0) return;
        await Promise.allSettled([...inFlight]);
      }
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await scanning;
      await Promise.allSettled([...inFlight]);
    },
  };
}
