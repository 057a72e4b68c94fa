// How busy the rest of the machine was while we measured: CPU time the whole machine spent (all cores,
// /proc/stat: user, nice, system, irq, softirq, steal) minus the CPU time of this process, its threads and its
// finished child processes (/proc/self/stat: utime, stime, cutime, cstime) and of its live descendants (the
// Chromium that bench/browser.mjs drives: its processes are ours, not others'), over the wall time, in cores.
// The timing harness repeats a measurement taken while others used more than a little CPU, so that other
// people's builds on a shared machine do not end up in the results. Linux only; elsewhere it reports null.
import { readFileSync, readdirSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** { ppid, ticks: utime + stime + cutime + cstime } of a /proc/<pid>/stat text. */
function parseStat(text) {
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ').map(Number); // fields from 3 (state) on
  const [utime, stime, cutime, cstime] = fields.slice(11, 15);
  return { ppid: fields[1], ticks: utime + stime + cutime + cstime };
}

/** CPU ticks of the live descendants of this process (their own finished children included). */
function descendantTicks() {
  const children = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const { ppid, ticks } = parseStat(readFileSync(`/proc/${name}/stat`, 'utf8'));
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push({ pid: Number(name), ticks });
    } catch {
      // the process ended meanwhile
    }
  }
  let total = 0;
  const pending = [process.pid];
  while (pending.length) {
    for (const child of children.get(pending.pop()) || []) {
      total += child.ticks;
      pending.push(child.pid);
    }
  }
  return total;
}

function readTicks() {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = cpu;
    const own = parseStat(readFileSync('/proc/self/stat', 'utf8')).ticks + descendantTicks();
    return { busy: user + nice + system + irq + softirq + (steal || 0), own, at: performance.now() };
  } catch {
    return null;
  }
}

/** A snapshot to pass to otherCores() later. */
export function loadSnapshot() {
  return readTicks();
}

/** Cores' worth of CPU used by other processes since the snapshot (null where /proc is missing). */
export function otherCores(since) {
  const now = readTicks();
  if (!since || !now) return null;
  const seconds = (now.at - since.at) / 1000;
  if (seconds <= 0) return 0;
  return Math.max(0, (now.busy - since.busy) - (now.own - since.own)) / TICKS_PER_SECOND / seconds;
}
