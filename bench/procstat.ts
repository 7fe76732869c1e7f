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

/** CPU time all processes of the machine have used so far (every core: user, nice, system, irq, softirq, steal), seconds; NaN off Linux. */
export function machineCpuSeconds(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already in user)
    return ((f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0)) / ticksPerSecond();
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

/** CPU seconds of several processes at one moment; `cpu` is their sum. */
export interface CpuMark {
  cpu: number;
  cpus: number[];
  at: number;
}

/**
 * Samples the RSS and CPU of one process or of several (the nodes of one
 * target: figures are summed, and kept per process too); `cpuPercent()` gives
 * CPU % (of one core) between two marks.
 */
export class ProcSampler {
  readonly pids: number[];
  peakRss = 0;
  /** One RSS reading (bytes, summed over the processes) per period. */
  readonly timeline: number[] = [];
  private timer: NodeJS.Timeout;

  constructor(pid: number | number[], periodMs = 500) {
    this.pids = Array.isArray(pid) ? pid : [pid];
    this.timer = setInterval(() => this.timeline.push(this.sample()), periodMs);
    this.timer.unref();
    this.timeline.push(this.sample());
  }

  /** RSS summed over the processes (NaN when one is gone). */
  sample(): number {
    let rss = 0;
    for (const pid of this.pids) rss += rssBytes(pid);
    if (rss > this.peakRss) this.peakRss = rss;
    return rss;
  }

  /** RSS of each process. */
  sampleEach(): number[] {
    return this.pids.map(rssBytes);
  }

  mark(): CpuMark {
    const cpus = this.pids.map(cpuSeconds);
    return { cpu: cpus.reduce((a, b) => a + b, 0), cpus, at: performance.now() };
  }

  static cpuPercent(a: { cpu: number; at: number }, b: { cpu: number; at: number }): number {
    const wall = (b.at - a.at) / 1000;
    return wall > 0 ? ((b.cpu - a.cpu) / wall) * 100 : Number.NaN;
  }

  /** CPU % of each process between two marks. */
  static cpuPercentEach(a: CpuMark, b: CpuMark): number[] {
    const wall = (b.at - a.at) / 1000;
    return b.cpus.map((c, i) => (wall > 0 ? ((c - (a.cpus[i] ?? Number.NaN)) / wall) * 100 : Number.NaN));
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
