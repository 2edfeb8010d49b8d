-- ARGV: prefix, now, contact id, reason (abandoned|ended), offer timeout ms, default wrap-up ms, day.
-- The caller left: waiting → abandoned; offered → abandoned and the agent freed;
-- assigned → ended and the agent goes to wrap-up.
local cid, reason, timeout_ms, default_wrapup = ARGV[3], ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6] or '30000')
local day = ARGV[7] or 'today'
local c = ckey(cid)
local state = redis.call('HGET', c, 'state')
if not state then return {'err', 'unknown'} end
if state == 'abandoned' or state == 'ended' then return {'ok', state} end
local q = redis.call('HGET', c, 'queue')
local agent = redis.call('HGET', c, 'agent') or ''
redis.call('EXPIRE', c, 86400)
redis.call('EXPIRE', c .. ':why', 86400)

-- A caller who hangs up while waiting may ring back within the window and keep their place.
local function keep_place()
  local caller, window = redis.call('HGET', c, 'caller') or '', tonumber(redis.call('HGET', c, 'rering_ms') or '0') or 0
  if caller ~= '' and window > 0 then
    redis.call('SET', P .. 'rering:' .. q .. ':' .. caller, redis.call('HGET', c, 'score'), 'PX', window)
  end
end
if state == 'waiting' then
  redis.call('ZREM', waiting(q), cid)
  redis.call('HSET', c, 'state', 'abandoned')
  keep_place()
  count('queue', q, day, 'abandoned', 1)
  emit('contact.abandoned', {contact = cid, queue = q, reason = reason})
  return {'ok', 'abandoned'}
end
if state == 'offered' then
  redis.call('ZREM', LEASES, cid)
  redis.call('HSET', c, 'state', 'abandoned', 'agent', '')
  keep_place()
  count('queue', q, day, 'abandoned', 1)
  emit('offer.revoked', {contact = cid, agent = agent, queue = q, reason = 'caller_hung_up'})
  emit('contact.abandoned', {contact = cid, queue = q, reason = reason})
  make_available(agent, timeout_ms)
  return {'ok', 'abandoned'}
end
-- assigned
redis.call('HSET', c, 'state', 'ended', 'ended_at', NOW)
local handled_ms = NOW - (tonumber(redis.call('HGET', c, 'answered_at') or '') or NOW)
count('queue', q, day, 'handled', 1)
count('queue', q, day, 'handle_ms', handled_ms)
if agent ~= '' then
  count('agent', agent, day, 'handled', 1)
  count('agent', agent, day, 'handle_ms', handled_ms)
end
emit('contact.ended', {contact = cid, agent = agent, queue = q, reason = reason})
if agent ~= '' and redis.call('HGET', akey(agent), 'contact') == cid then
  -- Wrap-up ends by itself after the queue's wrap-up time (the agent may extend or end it).
  local until_ms = NOW + (tonumber(queue_setting(q, 'wrapup_ms') or '') or default_wrapup)
  redis.call('HSET', akey(agent), 'wrapup_until', until_ms)
  redis.call('ZADD', WRAPUPS, until_ms, agent)
  set_agent(agent, 'wrap_up', '')
end
return {'ok', 'ended'}
