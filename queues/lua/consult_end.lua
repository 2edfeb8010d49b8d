-- ARGV: prefix, now, contact id, agent (who started the consult), 'complete' or 'cancel', offer timeout
-- ms, default wrap-up ms.
-- complete: the transferring agent leaves; the call stays with whoever has it (or goes to them once
-- they accept) and the transferring agent goes to wrap-up. cancel: the call comes back to the
-- transferring agent; the consulted agent (offered, connecting or talking) is freed.
local cid, agent, outcome = ARGV[3], ARGV[4], ARGV[5]
local timeout_ms, default_wrapup = tonumber(ARGV[6]), num(ARGV[7], 30000)
local c = ckey(cid)
local state, holder, consulting, q, from, ch, answered_at = unpack(redis.call('HMGET', c,
  'state', 'agent', 'consult_from', 'queue', 'queue', 'channel', 'consult_answered_at'))
if consulting ~= agent then return {'err', 'not_consulting'} end
holder = holder or ''
if outcome == 'complete' then
  redis.call('HSET', c, 'consult_from', '', 'consult_answered_at', '')
  local until_ms = NOW + num(queue_setting(q, 'wrapup_ms'), default_wrapup)
  redis.call('HSET', akey(agent), 'wrapup_until', until_ms)
  redis.call('ZADD', WRAPUPS, until_ms, agent)
  set_agent(agent, 'wrap_up', 'transferred')
  emit('consult.ended', {contact = cid, agent = agent, outcome = 'complete', to_agent = holder, queue = q, channel = ch})
  if state == 'waiting' then start_in_queue(cid) end  -- waiting alone now: the queue's timers apply again
  return {'ok', state}
end
if state == 'waiting' then
  unqueue_contact(cid)
elseif state == 'offered' then
  redis.call('ZREM', LEASES, cid)
end
redis.call('HSET', c, 'state', 'assigned', 'agent', agent, 'consult_from', '', 'answered_at', answered_at or NOW,
  'consult_answered_at', '')
if holder ~= '' and holder ~= agent then
  emit('consult.canceled', {contact = cid, agent = holder, by = agent, queue = q, channel = ch})
  redis.call('HSET', akey(holder), 'contact', '')
  make_available(holder, timeout_ms)
end
emit('consult.ended', {contact = cid, agent = agent, outcome = 'cancel', to_agent = holder, queue = q, channel = ch})
return {'ok', 'assigned'}
