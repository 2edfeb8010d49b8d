-- Presence: which agents have a console open. Every open console (in any process) is a field of
-- the agent's `:consoles` hash and an entry 'agent|socket' of CONSOLES, both holding when its
-- heartbeat lapses (a crashed process's consoles lapse; the reaper notices). When an agent's last
-- console goes, the agent is away: it stands in no line and gets no new offers, but keeps its
-- state and any offer it holds until that lease ends. A console back within the grace period
-- restores all as it was (console.lua); after it the agent goes not-ready "disconnected" (reap.lua).

local function consoles_of(agent) return akey(agent) .. ':consoles' end

-- Does the agent still have a console whose heartbeat has not lapsed? Lapsed ones are dropped.
local function has_console(agent)
  local entries, live = redis.call('HGETALL', consoles_of(agent)), false
  for i = 1, #entries, 2 do
    if tonumber(entries[i + 1]) > NOW then
      live = true
    else
      redis.call('HDEL', consoles_of(agent), entries[i])
      redis.call('ZREM', CONSOLES, agent .. '|' .. entries[i])
    end
  end
  return live
end

-- The agent's last console is gone: out of every line until one comes back or the grace ends.
-- An offline agent has nothing to keep. Returns whether the agent became away.
local function went_away(agent, grace_ms)
  local a = akey(agent)
  local state, away = unpack(redis.call('HMGET', a, 'state', 'away'))
  if away == '1' or not state or state == 'offline' then return false end
  local grace_until = NOW + grace_ms
  redis.call('HSET', a, 'away', '1')
  redis.call('ZADD', AWAY, grace_until, agent)
  leave_idle(agent)
  refresh_chat_line(agent)  -- reads `away`: no chat room any more
  emit('agent.presence', {agent = agent, connected = false, grace_until = grace_until})
  return true
end
