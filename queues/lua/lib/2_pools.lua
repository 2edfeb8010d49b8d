-- Where contacts wait and where free agents stand. A waiting contact is in its queue's set
-- and, after overflow steps, in the spill sets of the extra queues (or of any agent); an
-- agent free for a channel is in that channel's idle set of each of its queues.

local function agent_queues(agent)
  return split(redis.call('HGET', akey(agent), 'queues'))
end

-- Put a waiting contact (back) in every set it waits in, at its score: its place.
local function queue_contact(cid)
  local q, ch, score, spills, any = unpack(redis.call('HMGET', ckey(cid), 'queue', 'channel', 'score', 'spill', 'any'))
  redis.call('ZADD', waiting(q, ch), score, cid)
  for _, x in ipairs(split(spills)) do redis.call('ZADD', spill(x, ch), score, cid) end
  if any == '1' then redis.call('ZADD', spill_any(ch), score, cid) end
end

local function unqueue_contact(cid)
  local q, ch, spills, any = unpack(redis.call('HMGET', ckey(cid), 'queue', 'channel', 'spill', 'any'))
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
  for _, q in ipairs(agent_queues(agent)) do redis.call('ZADD', idle(q, 'voice'), since, agent) end
  redis.call('ZADD', idle_any('voice'), since, agent)
end

-- Chat: an agent with a free chat slot is in the chat line, least loaded first, then longest
-- since their chat load last changed. A voice call blocks chats when the agent's setting says so.
local AT_WORK = {available = true, reserved = true, busy = true, wrap_up = true}
local function chat_room(agent)
  local state, cap, blocks, pending = unpack(redis.call('HMGET', akey(agent),
    'state', 'chat_cap', 'voice_blocks_chat', 'pending_not_ready'))
  if num(cap, 0) == 0 or not AT_WORK[state] or (pending and pending ~= '') then return false, 0 end
  if state ~= 'available' and blocks == '1' then return false, 0 end
  local load = redis.call('SCARD', chats_of(agent))
  return load < num(cap, 0), load
end

local function refresh_chat_line(agent)
  local a = akey(agent)
  local room, load = chat_room(agent)
  local pooled = redis.call('HGET', a, 'chat_pooled') == '1'
  if not room and not pooled then return end
  local queues = agent_queues(agent)
  if room then
    local score = load * 1e13 + num(redis.call('HGET', a, 'chat_since'), NOW)
    for _, q in ipairs(queues) do redis.call('ZADD', idle(q, 'chat'), score, agent) end
    redis.call('ZADD', idle_any('chat'), score, agent)
  else
    for _, q in ipairs(queues) do redis.call('ZREM', idle(q, 'chat'), agent) end
    redis.call('ZREM', idle_any('chat'), agent)
  end
  redis.call('HSET', a, 'chat_pooled', room and '1' or '0')
end

-- Leave every line (before the agent's queues change).
local function leave_all_lines(agent)
  leave_idle(agent)
  for _, q in ipairs(agent_queues(agent)) do redis.call('ZREM', idle(q, 'chat'), agent) end
  redis.call('ZREM', idle_any('chat'), agent)
  redis.call('HSET', akey(agent), 'chat_pooled', '0')
end

local function set_agent(agent, state, reason)
  redis.call('HSET', akey(agent), 'state', state, 'reason', reason or '', 'since', NOW)
  emit('agent.state', {agent = agent, state = state, reason = reason or ''})
  refresh_chat_line(agent)
end

-- The agent's chat load changed (an offer, a chat ended or returned).
local function chat_load_changed(agent)
  redis.call('HSET', akey(agent), 'chat_since', NOW)
  refresh_chat_line(agent)
end
