// Structured JSON logs (pino). `log.level: none` silences everything.

import { pino, type Logger } from 'pino';

export type { Logger };

const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);

export function createLogger(level: string, file = ''): Logger {
  const silent = level === 'none' || !LEVELS.has(level);
  const destination = file ? pino.destination({ dest: file, sync: false, mkdir: true }) : pino.destination(1);
  return pino(
    {
      level: silent ? 'silent' : level,
      base: { service: 'tributary' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

/** A logger that drops everything; for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
