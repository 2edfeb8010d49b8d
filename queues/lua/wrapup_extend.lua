-- ARGV: prefix, now, agent, extra ms. The agent needs more time to write up.
local agent, extra = ARGV[3], tonumber(ARGV[4])
if redis.call('HGET', akey(agent), 'state') ~= 'wrap_up' then return {'err', 'not_in_wrap_up'} end
local until_ms = math.max(tonumber(redis.call('HGET', akey(agent), 'wrapup_until') or '') or NOW, NOW) + extra
redis.call('HSET', akey(agent), 'wrapup_until', until_ms)
redis.call('ZADD', WRAPUPS, until_ms, agent)
emit('agent.wrap_up_extended', {agent = agent, wrapup_until = until_ms})
return {'ok', tostring(until_ms)}
