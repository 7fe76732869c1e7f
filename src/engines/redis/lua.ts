// The Lua scripts that make each broker or presence operation one atomic round trip.
// They follow the semantics Centrifugo's scripts have (spec server-api.md
// §4.3–4.5: argument order, meta fields `e`/`s`/`v`/`ve`, stream IDs equal to
// offsets, the `__p1:`/`__d1:` PUB/SUB prefixes), written here from that
// description. Offsets are formatted with %d: Lua's default number format
// (%.14g) would write 1e+14 into stream IDs and envelopes.

export interface ScriptDef {
  numberOfKeys: number;
  lua: string;
}

/**
 * Publish with history. KEYS: stream, meta, result (idempotency; any key when unused).
 * ARGV: payload, size, stream ttl s, pubsub channel ('' = none), meta ttl s (0 = none),
 * new epoch, publish command, result ttl s ('' = no key), delta '1'|'0', version, version epoch.
 * Returns {offset, epoch, fromCache, suppressed}.
 */
export const HISTORY_ADD: ScriptDef = {
  numberOfKeys: 3,
  lua: `
if ARGV[8] ~= '' then
  local cached = redis.call('hmget', KEYS[3], 'e', 's')
  if cached[1] then return {cached[2] or '0', cached[1], '1', '0'} end
end
local epoch = redis.call('hget', KEYS[2], 'e')
if not epoch then
  epoch = ARGV[6]
  redis.call('hset', KEYS[2], 'e', epoch)
end
if ARGV[10] ~= '0' then
  local m = redis.call('hmget', KEYS[2], 'v', 've', 's')
  if m[1] and (ARGV[11] == '' or ARGV[11] == m[2]) and tonumber(m[1]) >= tonumber(ARGV[10]) then
    return {m[3] or '0', epoch, '0', '1'}
  end
  redis.call('hset', KEYS[2], 'v', ARGV[10], 've', ARGV[11])
end
local top = redis.call('hincrby', KEYS[2], 's', 1)
local topText = string.format('%d', top)
if ARGV[5] ~= '0' then redis.call('expire', KEYS[2], ARGV[5]) end
local prev = ''
if ARGV[9] == '1' and top > 1 then
  local last = redis.call('xrevrange', KEYS[1], '+', '-', 'COUNT', 1)
  if last[1] then
    local fields = last[1][2]
    for i = 1, #fields, 2 do
      if fields[i] == 'd' then prev = fields[i + 1] end
    end
  end
end
if top == 1 then redis.call('del', KEYS[1]) end
redis.call('xadd', KEYS[1], 'MAXLEN', ARGV[2], topText .. '-0', 'd', ARGV[1])
redis.call('expire', KEYS[1], ARGV[3])
if ARGV[4] ~= '' then
  local msg
  if ARGV[9] == '1' then
    msg = '__d1:' .. topText .. ':' .. epoch .. ':' .. #prev .. ':' .. prev .. ':' .. #ARGV[1] .. ':' .. ARGV[1]
  else
    msg = '__p1:' .. topText .. ':' .. epoch .. '__' .. ARGV[1]
  end
  redis.call(ARGV[7], ARGV[4], msg)
end
if ARGV[8] ~= '' then
  redis.call('hset', KEYS[3], 'e', epoch, 's', topText)
  redis.call('expire', KEYS[3], ARGV[8])
end
return {topText, epoch, '0', '0'}
`,
};

/**
 * Publish without history but with an idempotency key. KEYS: result.
 * ARGV: pubsub channel, message, result ttl s, publish command. Returns 1 when published, 0 when a duplicate.
 */
export const PUBLISH_IDEMPOTENT: ScriptDef = {
  numberOfKeys: 1,
  lua: `
if redis.call('exists', KEYS[1]) == 1 then return 0 end
redis.call(ARGV[4], ARGV[1], ARGV[2])
redis.call('hset', KEYS[1], 'e', '')
redis.call('expire', KEYS[1], ARGV[3])
return 1
`,
};

/**
 * Read history. KEYS: stream, meta. ARGV: include publications '1'|'0', since offset,
 * limit (-1 all), reverse '1'|'0', meta ttl s (0 = none), new epoch.
 * Returns {top, epoch, entries}; an entry is {id, {field, value, ...}}.
 */
export const HISTORY_READ: ScriptDef = {
  numberOfKeys: 2,
  lua: `
local m = redis.call('hmget', KEYS[2], 's', 'e')
local top = m[1] or '0'
local epoch = m[2]
if not epoch then
  epoch = ARGV[6]
  redis.call('hset', KEYS[2], 'e', epoch)
end
if ARGV[5] ~= '0' then redis.call('expire', KEYS[2], ARGV[5]) end
if ARGV[1] ~= '1' then return {top, epoch, {}} end
local since = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local entries
if ARGV[4] == '1' then
  local from = '+'
  if since > 0 then from = string.format('%d', since - 1) .. '-0' end
  if limit > 0 then
    entries = redis.call('xrevrange', KEYS[1], from, '-', 'COUNT', limit)
  else
    entries = redis.call('xrevrange', KEYS[1], from, '-')
  end
else
  local from = '-'
  if since > 0 then from = string.format('%d', since + 1) .. '-0' end
  if limit > 0 then
    entries = redis.call('xrange', KEYS[1], from, '+', 'COUNT', limit)
  else
    entries = redis.call('xrange', KEYS[1], from, '+')
  end
end
return {top, epoch, entries}
`,
};

/**
 * A plain PUBLISH run on the node that owns the channel's slot. KEYS: any key
 * of the channel (only its slot matters). ARGV: publish command, channel,
 * message. In a Redis Cluster a PUBLISH without a key may go to any node, and
 * messages entering the cluster bus at two nodes have no common order; this
 * keeps every message of a channel entering at one node, after its history
 * scripts' messages.
 */
export const PUBLISH_ON_SLOT: ScriptDef = {
  numberOfKeys: 1,
  lua: `
return redis.call(ARGV[1], ARGV[2], ARGV[3])
`,
};

/** KEYS: data hash, expire zset. ARGV: ttl s, expire-at unix s, client id, encoded ClientInfo. */
export const PRESENCE_ADD: ScriptDef = {
  numberOfKeys: 2,
  lua: `
redis.call('zadd', KEYS[2], ARGV[2], ARGV[3])
redis.call('hset', KEYS[1], ARGV[3], ARGV[4])
redis.call('expire', KEYS[1], ARGV[1])
redis.call('expire', KEYS[2], ARGV[1])
return 1
`,
};

/** KEYS: data hash, expire zset. ARGV: client id. */
export const PRESENCE_REMOVE: ScriptDef = {
  numberOfKeys: 2,
  lua: `
redis.call('hdel', KEYS[1], ARGV[1])
redis.call('zrem', KEYS[2], ARGV[1])
return 1
`,
};

/** KEYS: data hash, expire zset. ARGV: now unix s. Drops expired clients first, then returns HGETALL. */
export const PRESENCE_GET: ScriptDef = {
  numberOfKeys: 2,
  lua: `
local expired = redis.call('zrangebyscore', KEYS[2], '0', ARGV[1])
if #expired > 0 then
  for i = 1, #expired do redis.call('hdel', KEYS[1], expired[i]) end
  redis.call('zremrangebyscore', KEYS[2], '0', ARGV[1])
end
return redis.call('hgetall', KEYS[1])
`,
};
