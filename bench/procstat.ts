// Reading a process's resource use from /proc (Linux only).

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let clkTck = 0;
function ticksPerSecond(): number {
  if (clkTck === 0) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/** Resident set size in bytes (VmRSS), or NaN when the process is gone. */
export function rssBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** CPU time (user + system) used so far, in seconds, or NaN when the process is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state); utime is field 14, stime field 15.
    return (Number(rest[11]) + Number(rest[12])) / ticksPerSecond();
  } catch {
    return Number.NaN;
  }
}

/** The soft limit on open files, or NaN. */
export function fdLimit(pid: number): number {
  try {
    const limits = readFileSync(`/proc/${pid}/limits`, 'utf8');
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(limits);
    if (!m) return Number.NaN;
    return m[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(m[1]);
  } catch {
    return Number.NaN;
  }
}

/** Open file descriptors, or NaN. */
export function fdCount(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return Number.NaN;
  }
}

/** Samples a process's RSS and CPU; `window()` gives CPU % (of one core) between two marks. */
export class ProcSampler {
  peakRss = 0;
  /** One RSS reading (bytes) per period. */
  readonly timeline: number[] = [];
  private timer: NodeJS.Timeout;

  constructor(readonly pid: number, periodMs = 500) {
    this.timer = setInterval(() => this.timeline.push(this.sample()), periodMs);
    this.timer.unref();
    this.timeline.push(this.sample());
  }

  sample(): number {
    const rss = rssBytes(this.pid);
    if (rss > this.peakRss) this.peakRss = rss;
    return rss;
  }

  mark(): { cpu: number; at: number } {
    return { cpu: cpuSeconds(this.pid), at: performance.now() };
  }

  static cpuPercent(a: { cpu: number; at: number }, b: { cpu: number; at: number }): number {
    const wall = (b.at - a.at) / 1000;
    return wall > 0 ? ((b.cpu - a.cpu) / wall) * 100 : Number.NaN;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
