/**
 * Was the machine ours during a measurement? The CPU time of every process on the machine
 * (/proc/stat) minus that of this process, its descendants (the servers) and PostgreSQL's
 * processes: what other work took, as a fraction of all cores. Linux only (null elsewhere).
 * Unattributed kernel time (softirq of the loopback traffic, kworkers flushing our fsyncs) and
 * the machine's own daemons count as others too: a few per cent on an idle machine. A figure
 * measured while others took more than that is disturbed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** Clock ticks per second of /proc (USER_HZ, 100 on Linux). */
const HZ = 100;

function busyTicks() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq] = f;
  return user + nice + system + irq + softirq;
}

/** utime + stime (ticks) of our processes and PostgreSQL's, by pid. */
function oursTicks() {
  const procs = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = readFileSync(`/proc/${d}/stat`, 'utf8');
      const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
      procs.set(Number(d), { comm: s.slice(s.indexOf('(') + 1, s.lastIndexOf(')')), ppid: Number(rest[1]), ticks: Number(rest[11]) + Number(rest[12]) });
    } catch {} // gone meanwhile
  }
  const ours = new Set([process.pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, p] of procs) {
      if (!ours.has(pid) && ours.has(p.ppid)) {
        ours.add(pid);
        grew = true;
      }
    }
  }
  const out = new Map();
  for (const [pid, p] of procs) if (ours.has(pid) || p.comm === 'postgres') out.set(pid, p.ticks);
  return out;
}

/** A snapshot to pass to {@link othersSince} (null off Linux). */
export function cpuSnapshot() {
  try {
    return { at: performance.now(), busy: busyTicks(), ours: oursTicks() };
  } catch {
    return null;
  }
}

/** Fraction of all cores other processes used since `s0` (null when unknown). */
export function othersSince(s0) {
  const s1 = s0 && cpuSnapshot();
  if (!s1) return null;
  let ours = 0;
  for (const [pid, t] of s1.ours) ours += t - (s0.ours.get(pid) ?? 0);
  const capacity = ((s1.at - s0.at) / 1000) * HZ * availableParallelism();
  return capacity > 0 ? Math.max(0, s1.busy - s0.busy - ours) / capacity : null;
}
