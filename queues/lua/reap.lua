-- ARGV: prefix, now, offer timeout ms, missed limit, day, console grace ms.
-- Everything that happens because time passed: consoles whose heartbeat lapsed (their process
-- died) are gone, expired offers go back, grace periods of agents without a console end, skips
-- and preferences lapse, overflow steps widen matches, maximum waits end, wrap-ups end.
local timeout_ms, missed_limit = tonumber(ARGV[3]), tonumber(ARGV[4])
local day = ARGV[5] or 'today'
local grace_ms = num(ARGV[6], 30000)
local lapsed = redis.call('ZRANGEBYSCORE', CONSOLES, '-inf', NOW, 'LIMIT', 0, 200)
for _, entry in ipairs(lapsed) do
  redis.call('ZREM', CONSOLES, entry)
  local agent, socket = string.match(entry, '^(.*)|([^|]*)$')
  if agent then
    redis.call('HDEL', consoles_of(agent), socket)
    if not has_console(agent) then went_away(agent, grace_ms) end
  end
end
local expired = redis.call('ZRANGEBYSCORE', LEASES, '-inf', NOW, 'LIMIT', 0, 200)
for _, cid in ipairs(expired) do
  local state, agent = unpack(redis.call('HMGET', ckey(cid), 'state', 'agent'))
  if state ~= 'offered' or not agent or agent == '' then
    redis.call('ZREM', LEASES, cid)
  else
    -- The lease of an agent without a console ran out: not a missed offer (see pass_on).
    local away = redis.call('HGET', akey(agent), 'away') == '1'
    pass_on(cid, agent, away and 'agent_disconnected' or 'timeout', timeout_ms, missed_limit)
  end
end
-- Grace periods that ran out with no console back: the agent goes not-ready "disconnected",
-- remembering what it was (the event tells it); on a call (busy, wrap-up), once the call ends.
local graced = redis.call('ZRANGEBYSCORE', AWAY, '-inf', NOW, 'LIMIT', 0, 200)
for _, agent in ipairs(graced) do
  redis.call('ZREM', AWAY, agent)
  local a = akey(agent)
  local state, reason, away, pending = unpack(redis.call('HMGET', a, 'state', 'reason', 'away', 'pending_not_ready'))
  reason = reason or ''
  local kept = reason == 'disconnected' or reason == 'routing_rebuilt'  -- what it was is remembered already
  if away ~= '1' or not state or state == 'offline' or (state == 'not_ready' and kept) then
    -- back meanwhile, logged out, or disconnected (or brought back by a rebuild) already: nothing to do
  elseif state == 'busy' or state == 'wrap_up' then
    local was_state, was_reason = 'available', ''  -- where the call's end would have taken the agent
    if pending and pending ~= '' then was_state, was_reason = 'not_ready', pending end
    redis.call('HSET', a, 'pending_not_ready', 'disconnected', 'prev_state', was_state, 'prev_reason', was_reason)
  else
    if state == 'reserved' then state, reason = 'available', '' end  -- it held an offer because it was available
    local returned = give_back_offers(agent, 'agent_disconnected')
    for _, cid in ipairs(returned) do skip_for_a_while(cid, agent) end
    set_agent(agent, 'not_ready', 'disconnected', {'contact', '', 'prev_state', state, 'prev_reason', reason},
      {state, reason})
    for _, cid in ipairs(returned) do match_contact(cid, timeout_ms) end
  end
end
-- Contacts whose skip or preference has lapsed get matched again (their agent may be the only one free).
local due = redis.call('ZRANGEBYSCORE', RETRY, '-inf', NOW, 'LIMIT', 0, 200)
for _, cid in ipairs(due) do
  redis.call('ZREM', RETRY, cid)
  if redis.call('HGET', ckey(cid), 'state') == 'waiting' then match_contact(cid, timeout_ms) end
end
local steps = redis.call('ZRANGEBYSCORE', STEPS, '-inf', NOW, 'LIMIT', 0, 200)
for _, cid in ipairs(steps) do apply_overflow(cid, timeout_ms) end
-- A contact still waiting at its queue's maximum wait leaves the queue (the IVR takes the
-- caller on to voicemail or a callback); one being offered is looked at again when its lease ends.
local overdue = redis.call('ZRANGEBYSCORE', MAX_WAITS, '-inf', NOW, 'LIMIT', 0, 200)
local timed_out = {}
for _, cid in ipairs(overdue) do
  local c = ckey(cid)
  local state, q, ch, deadline, enqueued_at = unpack(redis.call('HMGET', c, 'state', 'queue', 'channel', 'deadline', 'enqueued_at'))
  if state == 'offered' then
    redis.call('ZADD', MAX_WAITS, num(deadline, NOW), cid)  -- leases are reaped first: then it waits, or is offered again
  elseif state == 'waiting' then
    unqueue_contact(cid)
    forget_timers(cid)
    redis.call('HSET', c, 'state', 'timed_out')
    redis.call('SREM', live_contacts(), cid)
    redis.call('EXPIRE', c, 86400)
    count('queue', q, day, 'timed_out', 1)
    emit('contact.timed_out', {contact = cid, queue = q, channel = ch, waited_ms = NOW - tonumber(enqueued_at)})
    timed_out[#timed_out + 1] = cid
  else
    redis.call('ZREM', MAX_WAITS, cid)
  end
end
-- Wrap-ups whose time is up: the agent is available again, the chat slot free again. Each one ended
-- here is reported once, as 'agent|contact', to the one caller that ended it: it files the agent's draft.
local done = redis.call('ZRANGEBYSCORE', WRAPUPS, '-inf', NOW, 'LIMIT', 0, 200)
local wrapped_up = {}
for _, agent in ipairs(done) do
  redis.call('ZREM', WRAPUPS, agent)
  local state, cid = unpack(redis.call('HMGET', akey(agent), 'state', 'contact'))
  if state == 'wrap_up' then
    make_available(agent, timeout_ms)
    if cid and cid ~= '' then wrapped_up[#wrapped_up + 1] = agent .. '|' .. cid end
  end
end
local chats = redis.call('ZRANGEBYSCORE', CHAT_WRAPUPS, '-inf', NOW, 'LIMIT', 0, 200)
for _, cid in ipairs(chats) do
  local agent = redis.call('HGET', ckey(cid), 'agent')
  if release_chat(cid, timeout_ms) then wrapped_up[#wrapped_up + 1] = agent .. '|' .. cid end
end
-- How much was handled, the contacts that timed out (the caller tells their callers), the wrap-ups ended.
return {#lapsed + #expired + #graced + #due + #steps + #overdue + #done + #chats, timed_out, wrapped_up}
