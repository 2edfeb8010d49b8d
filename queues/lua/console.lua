-- ARGV: prefix, now, agent, socket id, event (open|seen|closed), heartbeat lapse ms, offer timeout ms, grace ms.
-- An agent's console opened, was heard from, or closed (in any process; see lib/5_presence.lua).
-- The last one closing makes the agent away; one opening (or heard from again) while the agent is
-- away brings it back: within the grace period to exactly the state it had, in its old place in
-- the idle line; after it, still not-ready "disconnected" until the agent chooses.
-- Returns 'present', 'back', 'away' (the last console went) or 'gone' (it went; nothing to keep).
local agent, socket, event = ARGV[3], ARGV[4], ARGV[5]
local ttl, timeout_ms, grace_ms = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local consoles, entry = consoles_of(agent), agent .. '|' .. socket

local function come_back()
  local a = akey(agent)
  local state, reason, since, pending = unpack(redis.call('HMGET', a, 'state', 'reason', 'since', 'pending_not_ready'))
  local within_grace = redis.call('ZREM', AWAY, agent) == 1
  if pending == 'disconnected' then
    -- The grace ran out during a call (not-ready was to follow it): the agent is back to choose.
    redis.call('HSET', a, 'away', '', 'pending_not_ready', '')
  else
    redis.call('HSET', a, 'away', '')
  end
  emit('agent.presence', {agent = agent, connected = true, within_grace = within_grace, state = state,
    reason = reason or ''})
  if state == 'available' then
    join_idle(agent, num(since, NOW))  -- the place in the idle line it had before it went
    refresh_chat_line(agent)
    match_agent(agent, 'voice', timeout_ms)
    fill_chats(agent, timeout_ms)
  else
    refresh_chat_line(agent)
  end
end

if event ~= 'closed' then
  redis.call('HSET', consoles, socket, NOW + ttl)
  redis.call('PEXPIRE', consoles, ttl)
  redis.call('ZADD', CONSOLES, NOW + ttl, entry)
  if redis.call('HGET', akey(agent), 'away') ~= '1' then return 'present' end
  come_back()
  return 'back'
end
redis.call('HDEL', consoles, socket)
redis.call('ZREM', CONSOLES, entry)
if has_console(agent) then return 'present' end
if went_away(agent, grace_ms) then return 'away' end
return 'gone'
