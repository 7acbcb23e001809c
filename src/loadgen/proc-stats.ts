/**
 * CPU and memory of other processes, read from Linux's /proc (coordinator side): the broker under
 * test (all its threads), and the machine as a whole. Everything returns null where /proc is not
 * available or the process is gone, so `ringcast bench` still runs against a remote server.
 *
 * - /proc/<pid>/stat fields 14 and 15 (utime, stime) count clock ticks of every thread of the
 *   process; the tick length comes from `getconf CLK_TCK` (100 Hz on Linux almost everywhere), so a
 *   CPU figure over a window of a few seconds is good to about a percent.
 * - /proc/<pid>/status VmRSS is the resident set in kB.
 * - /proc/stat's first line sums all cores: busy = everything but idle and iowait.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

const FALLBACK_CLOCK_TICKS_PER_SEC = 100;
let clockTicksPerSec: number | null = null;

function ticksPerSecond(): number {
  if (clockTicksPerSec === null) {
    try {
      clockTicksPerSec = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 2000 }).trim()) || FALLBACK_CLOCK_TICKS_PER_SEC;
    } catch {
      clockTicksPerSec = FALLBACK_CLOCK_TICKS_PER_SEC;
    }
  }
  return clockTicksPerSec;
}

/** CPU time (user + system, all threads) the process has used so far, in ms; null if unreadable. */
export function processCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name (field 2) is in parentheses and may contain spaces: split after its ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return ((utime + stime) * 1000) / ticksPerSecond();
  } catch {
    return null;
  }
}

/** Resident set size in bytes; null if unreadable. */
export function processRssBytes(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return match === null ? null : Number(match[1]) * 1024;
  } catch {
    return null;
  }
}

export interface MachineCpuSample {
  busyTicks: number;
  totalTicks: number;
}

export function machineCpu(): MachineCpuSample | null {
  try {
    const line = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0];
    const ticks = line.trim().split(/\s+/).slice(1).map(Number);
    const total = ticks.reduce((a, b) => a + b, 0);
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
    return { busyTicks: total - idle, totalTicks: total };
  } catch {
    return null;
  }
}

/** Busy share of all cores between two samples, in percent of the whole machine. */
export function machineBusyPercent(from: MachineCpuSample | null, to: MachineCpuSample | null): number | null {
  if (from === null || to === null || to.totalTicks === from.totalTicks) return null;
  return (100 * (to.busyTicks - from.busyTicks)) / (to.totalTicks - from.totalTicks);
}

export function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'latin1'));
    if (match !== null) return match[1].trim();
  } catch {
    // Not Linux: fall through to what os knows.
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

export function coreCount(): number {
  return os.availableParallelism();
}
