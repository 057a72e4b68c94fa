// How busy the rest of the machine was while we measured: CPU time the whole machine spent (all cores,
// /proc/stat: user, nice, system, irq, softirq, steal) minus the CPU time of this process, its threads and its
// finished child processes (/proc/self/stat: utime, stime, cutime, cstime), over the wall time, in cores.
// The timing harness repeats a measurement taken while others used more than a little CPU, so that other
// people's builds on a shared machine do not end up in the results. Linux only; elsewhere it reports null.
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

function readTicks() {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = cpu;
    const self = readFileSync('/proc/self/stat', 'utf8');
    const fields = self.slice(self.lastIndexOf(')') + 2).split(' ').map(Number); // fields from 3 (state) on
    const [utime, stime, cutime, cstime] = fields.slice(11, 15);
    return { busy: user + nice + system + irq + softirq + (steal || 0), own: utime + stime + cutime + cstime, at: performance.now() };
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
