// How a reply or push tells a client when its connection or subscription
// expires: `expires: true` and `ttl` in whole seconds (at least 1, so a client
// never schedules its refresh for "now"), or nothing without a deadline.

export function expiryFields(expireAtMs: number): { expires?: true; ttl?: number } {
  if (expireAtMs <= 0) return {};
  return { expires: true, ttl: Math.max(1, Math.ceil((expireAtMs - Date.now()) / 1000)) };
}
