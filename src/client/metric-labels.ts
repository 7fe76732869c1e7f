// Label values for client metrics. Client-chosen strings must never become
// Prometheus label values (each new value is a series kept forever), so only
// the names the official SDKs send are kept.

const KNOWN_CLIENT_NAMES = new Set(['js', 'go', 'dart', 'swift', 'java', 'python', 'csharp', 'unity', 'rust']);

export function metricClientName(name: string): string {
  return KNOWN_CLIENT_NAMES.has(name) ? name : 'unnamed';
}
