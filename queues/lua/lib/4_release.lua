-- Contacts going back to their queue, agents becoming free again, and overflow steps.

-- Remember who passed on the contact; the reaper matches it again when that lapses.
local function skip_for_a_while(cid, agent)
  redis.call('HSET', ckey(cid), 'skip_agent', agent, 'skip_until', NOW + SKIP_MS)
  redis.call('ZADD', RETRY, NOW + SKIP_MS, cid)
end

-- Put an offered contact back in its queue with its original score (its place). A chat's
-- slot is freed at once; the caller decides what happens to a voice agent.
local function return_contact(cid, reason)
  local c = ckey(cid)
  local q, ch, agent = unpack(redis.call('HMGET', c, 'queue', 'channel', 'agent'))
  redis.call('ZREM', LEASES, cid)
  redis.call('HSET', c, 'state', 'waiting', 'agent', '', 'deadline', '')
  queue_contact(cid)
  emit('offer.returned', {contact = cid, agent = agent, queue = q, channel = ch, reason = reason})
  if ch == 'chat' and agent and agent ~= '' then
    redis.call('SREM', chats_of(agent), cid)
    chat_load_changed(agent)
  end
  return agent
end

-- The agent is free for voice again: back of the idle line, then the most urgent contact,
-- then any chat slots the voice call was blocking.
local function make_available(agent, timeout_ms)
  redis.call('ZREM', WRAPUPS, agent)
  local pending = redis.call('HGET', akey(agent), 'pending_not_ready')
  -- Clearing pending_not_ready changes no chat room: not-ready has none, and it was empty otherwise.
  local fields = {'contact', '', 'missed', 0, 'wrapup_until', '', 'pending_not_ready', ''}
  if pending and pending ~= '' then
    local previous = nil  -- a disconnect's grace ran out during the call: tell what it replaces
    if pending == 'disconnected' then previous = redis.call('HMGET', akey(agent), 'prev_state', 'prev_reason') end
    set_agent(agent, 'not_ready', pending, fields, previous)
    return
  end
  set_agent(agent, 'available', '', fields)
  join_idle(agent, NOW)
  match_agent(agent, 'voice', timeout_ms)
  fill_chats(agent, timeout_ms)
end

-- The agent stops taking work (not ready, offline): offers it holds go back with their place.
-- Returns the contacts given back, for the caller to match once the agent has left.
local function give_back_offers(agent, reason)
  local returned = {}
  local voice = redis.call('HGET', akey(agent), 'contact')
  if redis.call('HGET', akey(agent), 'state') == 'reserved' and voice and voice ~= '' then
    return_contact(voice, reason)
    returned[#returned + 1] = voice
  end
  for _, cid in ipairs(redis.call('SMEMBERS', chats_of(agent))) do
    local state, holder = unpack(redis.call('HMGET', ckey(cid), 'state', 'agent'))
    if state == 'offered' and holder == agent then
      return_contact(cid, reason)
      returned[#returned + 1] = cid
    end
  end
  return returned
end

-- The agent did not take the offer (rejected it, or the lease ran out): the contact goes
-- back with its place to the next agent; the agent stays free, or goes not-ready after too
-- many missed offers in a row. A lease that ran out while the agent had no console
-- (`agent_disconnected`) neither counts as missed nor clears the count: the grace period
-- of the disconnect decides what becomes of the agent.
local function pass_on(cid, agent, reason, timeout_ms, missed_limit)
  local ch = redis.call('HGET', ckey(cid), 'channel')
  return_contact(cid, reason)
  skip_for_a_while(cid, agent)
  local a = akey(agent)
  if ch ~= 'chat' then redis.call('HSET', a, 'contact', '') end
  local missed = 0
  if reason == 'timeout' then missed = redis.call('HINCRBY', a, 'missed', 1) end
  if reason ~= 'agent_disconnected' then redis.call('HSET', a, 'missed', missed) end
  local others = {}
  local state = redis.call('HGET', a, 'state')
  if missed >= missed_limit and (state == 'busy' or state == 'wrap_up') then
    -- Missed chats during a call: no more chats now, not-ready once the call is done.
    redis.call('HSET', a, 'pending_not_ready', 'missed')
    refresh_chat_line(agent)
  elseif missed >= missed_limit then
    others = give_back_offers(agent, 'agent_not_ready')
    leave_idle(agent)
    redis.call('HSET', a, 'contact', '')
    set_agent(agent, 'not_ready', 'missed')
  elseif ch ~= 'chat' then
    redis.call('HSET', a, 'contact', '')
    set_agent(agent, 'available', '')
    join_idle(agent, NOW)
  end
  match_contact(cid, timeout_ms)
  for _, other in ipairs(others) do match_contact(other, timeout_ms) end
  if redis.call('HGET', a, 'state') == 'available' then
    if ch ~= 'chat' then match_agent(agent, 'voice', timeout_ms) end
    fill_chats(agent, timeout_ms)
  end
end

-- Overflow steps (a queue setting, e.g. [{"after_ms": 60000, "lower_levels_by": 1},
-- {"after_ms": 120000, "queues": ["general"]}, {"after_ms": 300000, "any_agent": true}]) widen
-- a waiting contact's match as its time in the queue passes; they add up.
-- `new_contact`: it is in no timer set yet (nothing to remove).
local function schedule_overflow(cid, q, step, queued_at, new_contact)
  if not q then q, step, queued_at = unpack(redis.call('HMGET', ckey(cid), 'queue', 'step', 'queued_at')) end
  local nxt = decode(queue_setting(q, 'overflow'), {})[num(step, 0) + 1]
  if nxt then
    redis.call('ZADD', STEPS, tonumber(queued_at) + tonumber(nxt.after_ms), cid)
  elseif not new_contact then
    redis.call('ZREM', STEPS, cid)
  end
end

local function apply_overflow(cid, timeout_ms)
  local c = ckey(cid)
  local q, state, step, queued_at, relax, spills, any = unpack(redis.call('HMGET', c,
    'queue', 'state', 'step', 'queued_at', 'relax', 'spill', 'any'))
  if state ~= 'waiting' and state ~= 'offered' then
    redis.call('ZREM', STEPS, cid)
    return
  end
  local steps = decode(queue_setting(q, 'overflow'), {})
  step, relax, queued_at = num(step, 0), num(relax, 0), tonumber(queued_at)
  local extra, known = split(spills), {}
  for _, x in ipairs(extra) do known[x] = true end
  while steps[step + 1] and queued_at + tonumber(steps[step + 1].after_ms) <= NOW do
    step = step + 1
    local s = steps[step]
    relax = math.max(relax, tonumber(s.lower_levels_by or 0) or 0)
    for _, x in ipairs(s.queues or {}) do
      if x ~= q and not known[x] then extra[#extra + 1], known[x] = x, true end
    end
    if s.any_agent then any = '1' end
  end
  if state == 'waiting' then unqueue_contact(cid) end
  redis.call('HSET', c, 'step', step, 'relax', relax, 'spill', table.concat(extra, ','), 'any', any or '0')
  if state == 'waiting' then queue_contact(cid) end
  emit('contact.overflowed', {contact = cid, queue = q, step = step, lower_levels_by = relax,
    queues = extra, any_agent = any == '1'})
  schedule_overflow(cid)
  if state == 'waiting' then match_contact(cid, timeout_ms) end
end

-- A contact (re)starts its time in a queue: no overflow yet, the maximum wait counts from now.
-- `q` and `fields` (optional): its queue, and more of its fields to write in the same HSET. With
-- `new_contact` (enqueue: the contact did not exist), the caller writes `fields` (the start fields
-- added) itself, and the contact is in no timer set yet.
local function start_in_queue(cid, q, fields, new_contact)
  local c = ckey(cid)
  fields = fields or {}
  for _, v in ipairs({'queued_at', NOW, 'step', 0, 'relax', 0, 'spill', '', 'any', '0'}) do fields[#fields + 1] = v end
  if not new_contact then redis.call('HSET', c, unpack(fields)) end
  q = q or redis.call('HGET', c, 'queue')
  schedule_overflow(cid, q, 0, NOW, new_contact)
  local max_wait = num(queue_setting(q, 'max_wait_ms'), 0)
  if max_wait > 0 then
    redis.call('ZADD', MAX_WAITS, NOW + max_wait, cid)
  elseif not new_contact then
    redis.call('ZREM', MAX_WAITS, cid)
  end
end

-- The contact stopped waiting for good (answered, abandoned, timed out): no overflow or maximum
-- wait any more. (A pending retry stays: it may be transferred back to waiting while a skip lasts.)
local function forget_timers(cid)
  redis.call('ZREM', STEPS, cid)
  redis.call('ZREM', MAX_WAITS, cid)
end

-- A chat's wrap-up is over (its time ran out or the agent closed it): its slot is free again.
local function release_chat(cid, timeout_ms)
  redis.call('ZREM', CHAT_WRAPUPS, cid)
  local agent = redis.call('HGET', ckey(cid), 'agent')
  if not agent or agent == '' or redis.call('SREM', chats_of(agent), cid) == 0 then return false end
  redis.call('HSET', ckey(cid), 'wrapup_until', '')
  emit('contact.wrapped_up', {contact = cid, agent = agent})
  chat_load_changed(agent)
  fill_chats(agent, timeout_ms)
  return true
end

-- The contact changes queue (transfer, supervisor move): the new queue's skills apply on top of
-- the contact's own needs, its priority head start is re-based on the new queue's aging, and it
-- keeps its arrival time (or restored place). Not in any waiting set while this runs.
local function move_to_queue(cid, to, priority)
  local c = ckey(cid)
  local score, old_priority, old_step, own = unpack(redis.call('HMGET', c, 'score', 'priority', 'step_ms', 'own'))
  local step_ms = priority_step(to)
  local arrival = tonumber(score) + tonumber(old_priority) * num(old_step, DEFAULT_STEP_MS)
  local needs = decode(queue_setting(to, 'skills'), {})
  for skill, level in pairs(decode(own, {})) do needs[skill] = level end
  redis.call('HSET', c, 'queue', to, 'priority', priority, 'step_ms', step_ms,
    'score', arrival - priority * step_ms, 'needs', cjson.encode(needs))
end
