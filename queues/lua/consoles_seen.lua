-- ARGV: prefix, now, heartbeat lapse ms, then agent, socket, agent, socket, ... Every console one
-- process heard from lately, renewed in one step (see lib/5_presence.lua). Returns 'agent|socket'
-- of those whose agent is away: they come back through console.lua, one by one.
local ttl, back = tonumber(ARGV[3]), {}
for i = 4, #ARGV - 1, 2 do
  local agent, socket = ARGV[i], ARGV[i + 1]
  local consoles = consoles_of(agent)
  redis.call('HSET', consoles, socket, NOW + ttl)
  redis.call('PEXPIRE', consoles, ttl)
  redis.call('ZADD', CONSOLES, NOW + ttl, agent .. '|' .. socket)
  if redis.call('HGET', akey(agent), 'away') == '1' then back[#back + 1] = agent .. '|' .. socket end
end
return back
