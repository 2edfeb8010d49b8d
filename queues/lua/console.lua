-- ARGV: prefix, now, agent, socket id, event (open|seen|closed), time-to-live ms, offer timeout ms.
-- Which consoles an agent has open (any process); each pings, so a crashed process's entries
-- lapse. When the last one closes, offers the agent holds go back with their place (the agent
-- is skipped for them a moment); the agent's state is left to the heartbeat rules.
local agent, socket, event, ttl, timeout_ms = ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[7])
local consoles = akey(agent) .. ':consoles'
if event ~= 'closed' then
  redis.call('HSET', consoles, socket, NOW + ttl)
  redis.call('PEXPIRE', consoles, ttl)
  return 0
end
redis.call('HDEL', consoles, socket)
local entries = redis.call('HGETALL', consoles)
for i = 1, #entries, 2 do
  if tonumber(entries[i + 1]) > NOW then return 0 end  -- another console is still open
  redis.call('HDEL', consoles, entries[i])
end
local returned = give_back_offers(agent, 'agent_disconnected')
for _, cid in ipairs(returned) do skip_for_a_while(cid, agent) end
if #returned > 0 and redis.call('HGET', akey(agent), 'state') == 'reserved' then
  redis.call('HSET', akey(agent), 'contact', '')
  set_agent(agent, 'available', '')
  join_idle(agent, NOW)
end
for _, cid in ipairs(returned) do match_contact(cid, timeout_ms) end
return #returned
