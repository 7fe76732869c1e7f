// How an engine half (broker or presence manager) says it cannot do its work
// right now: a health report for /health and the consumers, and an error
// callers may retry. Both halves share these, so they live apart from either.

export interface EngineHealth {
  healthy: boolean;
  detail?: string;
}

/** Thrown by engines for failures a caller may retry (backend unreachable, timeout). */
export class EngineUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EngineUnavailableError';
  }
}
