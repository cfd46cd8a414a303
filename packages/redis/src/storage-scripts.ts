/**
 * The Lua scripts of the Redis cache storage, one round trip and atomic
 * each. Layout under prefix P: `P m:<hex>` = 16-char version + encoded meta,
 * `P b:<hex>:<version>` = body, `P v:<primary>` = set of variant hexes. A
 * replaced body lingers `grace` ms for readers still on it; a reader never
 * mixes two versions because the body key names its version.
 */
import { RedisScript } from './redis-like.ts';

/** KEYS: meta, body, variant set. ARGV: P, hex, meta (version + bytes), body, ttl ms, grace ms, variant member ('' for a primary). */
export const FINISH = new RedisScript(`
local old = redis.call('GET', KEYS[1])
if old then
  local oldBody = ARGV[1] .. 'b:' .. ARGV[2] .. ':' .. string.sub(old, 1, 16)
  if oldBody ~= KEYS[2] then redis.call('PEXPIRE', oldBody, ARGV[6]) end
end
redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[5])
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[5])
if ARGV[7] ~= '' then
  redis.call('SADD', KEYS[3], ARGV[7])
  if redis.call('PTTL', KEYS[3]) < tonumber(ARGV[5]) then redis.call('PEXPIRE', KEYS[3], ARGV[5]) end
end
return 1`);

/** KEYS: meta. ARGV: P, hex, first chunk bytes. Returns nil or {meta, body length, first chunk}. */
export const LOOKUP = new RedisScript(`
local m = redis.call('GET', KEYS[1])
if not m then return nil end
local body = ARGV[1] .. 'b:' .. ARGV[2] .. ':' .. string.sub(m, 1, 16)
if redis.call('EXISTS', body) == 0 then return nil end
local len = redis.call('STRLEN', body)
local first = ''
if len > 0 then first = redis.call('GETRANGE', body, 0, tonumber(ARGV[3]) - 1) end
return {m, len, first}`);

/** KEYS: meta. ARGV: P, hex, new meta bytes, ttl ms. 1 when updated, 0 when absent. */
export const UPDATE_META = new RedisScript(`
local m = redis.call('GET', KEYS[1])
if not m then return 0 end
local ver = string.sub(m, 1, 16)
redis.call('SET', KEYS[1], ver .. ARGV[3], 'PX', ARGV[4])
redis.call('PEXPIRE', ARGV[1] .. 'b:' .. ARGV[2] .. ':' .. ver, ARGV[4])
return 1`);

/** KEYS: meta, variant set. ARGV: P, hex, '1' when purging a primary (variants go too). */
export const PURGE = new RedisScript(`
local function drop(hex)
  local mk = ARGV[1] .. 'm:' .. hex
  local m = redis.call('GET', mk)
  if not m then return 0 end
  redis.call('UNLINK', mk, ARGV[1] .. 'b:' .. hex .. ':' .. string.sub(m, 1, 16))
  return 1
end
local found = drop(ARGV[2])
if ARGV[3] == '1' then
  for _, v in ipairs(redis.call('SMEMBERS', KEYS[2])) do drop(v) end
  redis.call('UNLINK', KEYS[2])
end
return found`);
