-- ARGV: prefix, now, agent, next state (available|not_ready), reason, offer timeout ms
local agent, state, reason, timeout_ms = ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6])
if redis.call('HGET', akey(agent), 'state') ~= 'wrap_up' then return {'err', 'not_in_wrap_up'} end
if state == 'available' then
  make_available(agent, timeout_ms)
else
  redis.call('ZREM', WRAPUPS, agent)
  redis.call('HSET', akey(agent), 'contact', '', 'wrapup_until', '')
  set_agent(agent, state, reason)
end
return {'ok', redis.call('HGET', akey(agent), 'state')}
