// One clock for every bench process: microseconds of the system's monotonic
// clock (process.hrtime → CLOCK_MONOTONIC), which all processes on a machine
// share, so a timestamp taken by the publisher can be compared with a receive
// time taken in a subscriber process. Read directly on every call: deriving it
// from performance.now() needs a per-process offset, and an offset measured
// while the process is busy starting up can be off by a millisecond.

/** Monotonic microseconds, comparable across processes on this machine. */
export function nowUs(): number {
  const t = process.hrtime();
  return t[0] * 1e6 + t[1] / 1e3;
}
