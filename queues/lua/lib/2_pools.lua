-- Where contacts wait and where free agents stand. A waiting contact is in its queue's set
-- and, after overflow steps, in the spill sets of the extra queues (or of any agent); an
-- agent free for a channel is in that channel's idle set of each of its queues.

-- An agent's queues, and its skills (decoded when first needed): one HMGET per agent and script run
-- (read_once). A script that writes an agent's queues or skills must then drop them from
-- read_once.agents, as agent_state.lua does.
local function agent_queues(agent, want_skills)
  local profile = read_once.agents[agent]
  if not profile then
    local queues, skills = unpack(redis.call('HMGET', akey(agent), 'queues', 'skills'))
    profile = {queues = split(queues), skills_json = skills}
    read_once.agents[agent] = profile
  end
  if not want_skills then return profile.queues end
  if profile.skills == nil then profile.skills = decode(profile.skills_json, {}) end
  return profile.skills
end

-- Put a waiting contact (back) in every set it waits in, at its score: its place. `rec` (optional):
-- the contact's fields queue, channel, score, spill and any, when the caller has them.
local function queue_contact(cid, rec)
  local q, ch, score, spills, any
  if rec then
    q, ch, score, spills, any = rec.queue, rec.channel, rec.score, rec.spill, rec.any
  else
    q, ch, score, spills, any = unpack(redis.call('HMGET', ckey(cid), 'queue', 'channel', 'score', 'spill', 'any'))
  end
  redis.call('ZADD', waiting(q, ch), score, cid)
  for _, x in ipairs(split(spills)) do redis.call('ZADD', spill(x, ch), score, cid) end
  if any == '1' then redis.call('ZADD', spill_any(ch), score, cid) end
end

local function unqueue_contact(cid, rec)
  local q, ch, spills, any
  if rec then
    q, ch, spills, any = rec.queue, rec.channel, rec.spill, rec.any
  else
    q, ch, spills, any = unpack(redis.call('HMGET', ckey(cid), 'queue', 'channel', 'spill', 'any'))
  end
  redis.call('ZREM', waiting(q, ch), cid)
  for _, x in ipairs(split(spills)) do redis.call('ZREM', spill(x, ch), cid) end
  if any == '1' then redis.call('ZREM', spill_any(ch), cid) end
end

-- Voice: an available agent stands in the idle line from the moment it became free.
local function leave_idle(agent)
  for _, q in ipairs(agent_queues(agent)) do redis.call('ZREM', idle(q, 'voice'), agent) end
  redis.call('ZREM', idle_any('voice'), agent)
end

local function join_idle(agent, since)
  -- An agent whose consoles are all gone stands in no line until one comes back (5_presence.lua).
  if redis.call('HGET', akey(agent), 'away') == '1' then return end
  for _, q in ipairs(agent_queues(agent)) do redis.call('ZADD', idle(q, 'voice'), since, agent) end
  redis.call('ZADD', idle_any('voice'), since, agent)
end

-- Chat: an agent with a free chat slot is in the chat line, least loaded first, then longest
-- since their chat load last changed. A voice call blocks chats when the agent's setting says so.
local AT_WORK = {available = true, reserved = true, busy = true, wrap_up = true}
-- No room either while the agent has no console open (away). `known` (optional): the agent's state,
-- chat_cap, voice_blocks_chat, pending_not_ready and away, read already.
local function chat_room(agent, known)
  local state, cap, blocks, pending, away = unpack(known or redis.call('HMGET', akey(agent),
    'state', 'chat_cap', 'voice_blocks_chat', 'pending_not_ready', 'away'))
  cap = num(cap, 0)
  if cap == 0 or not AT_WORK[state] or (pending and pending ~= '') or away == '1' then return false, 0 end
  if state ~= 'available' and blocks == '1' then return false, 0 end
  local load = redis.call('SCARD', chats_of(agent))
  return load < cap, load
end

-- One HMGET; an agent without chats (capacity 0) who is in no chat line stops there. `state`
-- (optional): the state the caller is writing now, with the agent's `fields` (optional, a flat list),
-- in the same HSET as the chat line's mark.
local function refresh_chat_line(agent, state, fields)
  local a = akey(agent)
  local current, cap, blocks, pending, pooled, since, away = unpack(redis.call('HMGET', a,
    'state', 'chat_cap', 'voice_blocks_chat', 'pending_not_ready', 'chat_pooled', 'chat_since', 'away'))
  pooled = pooled == '1'
  local room, load = chat_room(agent, {state or current, cap, blocks, pending, away})
  if room ~= pooled then
    fields = fields or {}
    fields[#fields + 1] = 'chat_pooled'
    fields[#fields + 1] = room and '1' or '0'
  end
  if fields then redis.call('HSET', a, unpack(fields)) end
  if not room and not pooled then return end
  local queues = agent_queues(agent)
  if room then
    local score = load * 1e13 + num(since, NOW)
    for _, q in ipairs(queues) do redis.call('ZADD', idle(q, 'chat'), score, agent) end
    redis.call('ZADD', idle_any('chat'), score, agent)
  else
    for _, q in ipairs(queues) do redis.call('ZREM', idle(q, 'chat'), agent) end
    redis.call('ZREM', idle_any('chat'), agent)
  end
end

-- Leave every line (before the agent's queues change).
local function leave_all_lines(agent)
  leave_idle(agent)
  for _, q in ipairs(agent_queues(agent)) do redis.call('ZREM', idle(q, 'chat'), agent) end
  redis.call('ZREM', idle_any('chat'), agent)
  redis.call('HSET', akey(agent), 'chat_pooled', '0')
end

-- `fields` (optional): more of the agent's fields to write in the same HSET; none that chat_room reads
-- (chat_cap, voice_blocks_chat, pending_not_ready, chat_since, away) may change what it decides.
-- `previous` (optional): {state, reason} the agent had before a disconnect, told in the event.
local function set_agent(agent, state, reason, fields, previous)
  fields = fields or {}
  for _, v in ipairs({'state', state, 'reason', reason or '', 'since', NOW}) do fields[#fields + 1] = v end
  refresh_chat_line(agent, state, fields)
  local event = {agent = agent, state = state, reason = reason or ''}
  for i = 1, #fields - 1, 2 do
    if fields[i] == 'wrapup_until' then event.wrapup_until = tonumber(fields[i + 1]) end  -- the console's countdown
  end
  if previous then event.previous_state, event.previous_reason = previous[1], previous[2] end
  emit('agent.state', event)
end

-- The agent's chat load changed (an offer, a chat ended or returned).
local function chat_load_changed(agent)
  redis.call('HSET', akey(agent), 'chat_since', NOW)
  refresh_chat_line(agent)
end
