-- ARGV: prefix, now, contact id, reason (abandoned|ended), offer timeout ms, default wrap-up ms, day.
-- The caller left: waiting → abandoned; offered or connecting (the agent's leg not joined yet) →
-- abandoned and the agent freed; assigned → ended and the agent goes to wrap-up (a chat keeps its slot through its wrap-up).
local cid, reason, timeout_ms, default_wrapup = ARGV[3], ARGV[4], tonumber(ARGV[5]), num(ARGV[6], 30000)
local day = ARGV[7] or 'today'
local c = ckey(cid)
local state, q, ch, agent = unpack(redis.call('HMGET', c, 'state', 'queue', 'channel', 'agent'))
if not state then return {'err', 'unknown'} end
if state == 'abandoned' or state == 'ended' or state == 'timed_out' then return {'ok', state} end
agent = agent or ''
redis.call('SREM', live_contacts(), cid)
redis.call('EXPIRE', c, 86400)
redis.call('EXPIRE', c .. ':why', 86400)
forget_timers(cid)
-- During a warm transfer the transferring agent is on the call too: they go to wrap-up with it.
local consulting = redis.call('HGET', c, 'consult_from') or ''
if consulting ~= '' then
  redis.call('HSET', c, 'consult_from', '')
  if redis.call('HGET', akey(consulting), 'contact') == cid and redis.call('HGET', akey(consulting), 'state') == 'busy' then
    local until_ms = NOW + num(queue_setting(q, 'wrapup_ms'), default_wrapup)
    redis.call('ZADD', WRAPUPS, until_ms, consulting)
    set_agent(consulting, 'wrap_up', '', {'wrapup_until', until_ms})
  end
end

-- A caller who hangs up while waiting may ring back within the window and keep their place.
local function keep_place()
  local caller, window = redis.call('HGET', c, 'caller') or '', num(redis.call('HGET', c, 'rering_ms'), 0)
  if caller ~= '' and window > 0 then
    redis.call('SET', P .. 'rering:' .. q .. ':' .. caller, redis.call('HGET', c, 'score'), 'PX', window)
  end
end
if state == 'waiting' then
  unqueue_contact(cid)
  redis.call('HSET', c, 'state', 'abandoned')
  keep_place()
  count('queue', q, day, 'abandoned', 1)
  emit('contact.abandoned', {contact = cid, queue = q, channel = ch, reason = reason})
  return {'ok', 'abandoned'}
end
if state == 'offered' or state == 'connecting' then
  redis.call('ZREM', LEASES, cid)
  redis.call('HSET', c, 'state', 'abandoned', 'agent', '')
  keep_place()
  count('queue', q, day, 'abandoned', 1)
  emit('offer.revoked', {contact = cid, agent = agent, queue = q, channel = ch, reason = 'caller_hung_up'})
  emit('contact.abandoned', {contact = cid, queue = q, channel = ch, reason = reason})
  if ch == 'chat' then
    redis.call('SREM', chats_of(agent), cid)
    chat_load_changed(agent)
    if redis.call('HGET', akey(agent), 'state') == 'available' then fill_chats(agent, timeout_ms) end
  else
    make_available(agent, timeout_ms)
  end
  return {'ok', 'abandoned'}
end
-- assigned
redis.call('HSET', c, 'state', 'ended', 'ended_at', NOW)
local handled_ms = NOW - num(redis.call('HGET', c, 'answered_at'), NOW)
count('queue', q, day, 'handled', 1)
count('queue', q, day, 'handle_ms', handled_ms)
if agent ~= '' then
  count('agent', agent, day, 'handled', 1)
  count('agent', agent, day, 'handle_ms', handled_ms)
end
emit('contact.ended', {contact = cid, agent = agent, queue = q, channel = ch, reason = reason})
-- Wrap-up ends by itself after the queue's wrap-up time (the agent may extend or end it).
local until_ms = NOW + num(queue_setting(q, 'wrapup_ms'), default_wrapup)
if agent ~= '' and ch == 'chat' then
  redis.call('HSET', c, 'wrapup_until', until_ms)
  redis.call('ZADD', CHAT_WRAPUPS, until_ms, cid)
elseif agent ~= '' and redis.call('HGET', akey(agent), 'contact') == cid then
  redis.call('ZADD', WRAPUPS, until_ms, agent)
  set_agent(agent, 'wrap_up', '', {'wrapup_until', until_ms})
end
return {'ok', 'ended'}
