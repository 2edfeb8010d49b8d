-- ARGV: prefix, now, contact id, agent, reason (rejected|timeout), offer timeout ms, missed limit
local cid, agent, reason = ARGV[3], ARGV[4], ARGV[5]
local timeout_ms, missed_limit = tonumber(ARGV[6]), tonumber(ARGV[7])
local c = ckey(cid)
if redis.call('HGET', c, 'state') ~= 'offered' or redis.call('HGET', c, 'agent') ~= agent then
  return {'err', 'not_offered'}
end
return_contact(cid, reason)
local missed = 0
if reason == 'timeout' then missed = redis.call('HINCRBY', akey(agent), 'missed', 1) end
if missed >= missed_limit then
  redis.call('HSET', akey(agent), 'contact', '')
  set_agent(agent, 'not_ready', 'missed')
  match_contact(cid, timeout_ms)
else
  -- The contact goes first to whoever has waited longest; the agent rejoins at the back.
  redis.call('HSET', akey(agent), 'contact', '')
  set_agent(agent, 'available', '')
  join_idle(agent, NOW)
  match_contact(cid, timeout_ms)
  if redis.call('HGET', akey(agent), 'state') == 'available' then match_agent(agent, timeout_ms) end
  redis.call('HSET', akey(agent), 'missed', missed)
end
return {'ok', redis.call('HGET', c, 'state')}
