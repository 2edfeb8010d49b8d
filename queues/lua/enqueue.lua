-- ARGV: prefix, now, contact id, queue, priority (0-9, higher first), offer timeout ms, info json,
-- skills json (skill -> minimum level, on top of the queue's own), caller (E.164 or ''),
-- re-ring window ms: a caller who hung up while waiting and rings back within it gets their place back.
local cid, q, priority, timeout_ms, info = ARGV[3], ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7]
local needs = decode(queue_setting(q, 'skills'), {})
for skill, level in pairs(decode(ARGV[8], {})) do needs[skill] = level end
local c = ckey(cid)
if redis.call('EXISTS', c) == 1 then
  -- Idempotent per provider id: a retried webhook changes nothing.
  return {0, redis.call('HGET', c, 'state'), redis.call('HGET', c, 'agent') or ''}
end
local caller, rering_ms = ARGV[9] or '', tonumber(ARGV[10] or '0') or 0
local preferred, prefer_ms = ARGV[11] or '', tonumber(ARGV[12] or '0') or 0
local score = (9 - priority) * 1e13 + NOW
local kept = nil
if caller ~= '' then
  local place = P .. 'rering:' .. q .. ':' .. caller
  kept = redis.call('GET', place)
  if kept then
    score = math.min(score, tonumber(kept))
    redis.call('DEL', place)
  end
end
redis.call('HSET', c, 'id', cid, 'queue', q, 'priority', priority, 'enqueued_at', NOW,
  'score', score, 'state', 'waiting', 'agent', '', 'info', info, 'needs', cjson.encode(needs),
  'caller', caller, 'rering_ms', rering_ms)
local preferred_state = preferred ~= '' and redis.call('HGET', akey(preferred), 'state') or nil
local staffed = {available = true, reserved = true, busy = true, wrap_up = true}
if preferred_state and staffed[preferred_state] and prefer_ms > 0 then
  -- The agent who last served this customer gets the first offer for a while; then anyone may.
  redis.call('HSET', c, 'preferred', preferred, 'prefer_until', NOW + prefer_ms)
  redis.call('ZADD', RETRY, NOW + prefer_ms, cid)
end
redis.call('ZADD', waiting(q), score, cid)
emit('contact.queued', {contact = cid, queue = q, priority = priority, info = cjson.decode(info),
  place_restored = kept ~= nil})
local agent = match_contact(cid, timeout_ms)
return {1, redis.call('HGET', c, 'state'), agent or ''}
