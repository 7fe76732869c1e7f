// How numbers, durations and times read on every page.

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

/** 12,345 */
export function count(n: number | null | undefined): string {
  return typeof n === 'number' && Number.isFinite(n) ? integer.format(n) : '–';
}

/** 12.3 with one decimal at most; whole numbers above 100. */
export function rate(n: number | null | undefined): string {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '–';
  return Math.abs(n) >= 100 ? integer.format(n) : decimal.format(n);
}

const pad = (n: number) => String(n).padStart(2, '0');

/** Uptime as Centrifugo's UI shows it: 1y 2d 03h 04m 05s, leading zero units left off. */
export function uptime(seconds: number): string {
  let s = Math.max(0, Math.floor(seconds));
  const years = Math.floor(s / 31_536_000);
  s -= years * 31_536_000;
  const days = Math.floor(s / 86_400);
  s -= days * 86_400;
  const hours = Math.floor(s / 3600);
  s -= hours * 3600;
  const minutes = Math.floor(s / 60);
  s -= minutes * 60;
  const parts: string[] = [];
  if (years) parts.push(`${years}y`);
  if (years || days) parts.push(`${days}d`);
  if (years || days || hours) parts.push(`${pad(hours)}h`);
  if (years || days || hours || minutes) parts.push(`${pad(minutes)}m`);
  parts.push(`${pad(s)}s`);
  return parts.join(' ');
}

/** A lag or age: 0.4 s, 12 s, 3m 04s, 2h 05m. */
export function duration(seconds: number | null | undefined): string {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return '–';
  if (seconds < 10) return `${decimal.format(seconds)} s`;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m ${pad(Math.floor(seconds % 60))}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${pad(m % 60)}m`;
  return `${Math.floor(h / 24)}d ${pad(h % 24)}h`;
}

/** 14:03:07.123, local time. */
export function clock(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

/** A server timestamp (unix ms, unix seconds or an ISO string) as a Date, or null. */
export function toDate(value: unknown): Date | null {
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(value < 1e11 ? value * 1000 : value);
  if (typeof value === 'string' && value !== '') {
    const d = new Date(/^\d+$/.test(value) ? Number(value) : value);
    return Number.isNaN(d.getTime()) ? null : d;
  }
  return null;
}

/** 2024-05-01 14:03:07, local time. */
export function dateTime(value: unknown): string {
  const d = toDate(value);
  if (!d) return value === undefined || value === null ? '–' : String(value);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** "3m 04s ago" */
export function ago(value: unknown, now = Date.now()): string {
  const d = toDate(value);
  return d ? `${duration(Math.max(0, (now - d.getTime()) / 1000))} ago` : '';
}

/** JSON for reading: indented when asked, strings of non-JSON payloads as they are. */
export function json(value: unknown, indent = 2): string {
  if (value === undefined) return '';
  try {
    return JSON.stringify(value, null, indent) ?? String(value);
  } catch {
    return String(value);
  }
}
