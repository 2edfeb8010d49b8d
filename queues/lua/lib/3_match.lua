-- Matching: which agent gets a contact, and which contact a free agent gets.

-- Can this agent serve a contact that needs these skills (skill -> minimum level)? Overflow
-- steps may lower every level by `relax` (never below 1: the skill itself stays needed).
-- Returns true, or false and why not.
local function qualifies(agent, needs, relax)
  local have = agent_queues(agent, true)
  for skill, level in pairs(needs) do
    local got, want = tonumber(have[skill] or 0) or 0, math.max(1, tonumber(level) - (relax or 0))
    if got < want then return false, 'skill ' .. skill .. ' level ' .. got .. ' < ' .. want end
  end
  return true, nil
end

-- The agent a contact is held back from (who passed on it moments ago) or kept for (who last
-- served the customer), while that lasts; nil once it has lapsed.
local function while_it_lasts(until_ms, agent)
  if num(until_ms, 0) > NOW then return agent end
  return nil
end

-- What matching and offering read of a contact, in one HMGET (a table by field name).
local function contact_record(cid)
  local names = {'queue', 'channel', 'needs', 'own', 'spill', 'any', 'relax', 'skip_until', 'skip_agent',
    'prefer_until', 'preferred', 'enqueued_at', 'info'}
  local values, rec = redis.call('HMGET', ckey(cid), unpack(names)), {}
  for i, name in ipairs(names) do rec[name] = values[i] end
  return rec
end

local function answered_today(agent)
  local day, answered = unpack(redis.call('HMGET', akey(agent), 'answered_day', 'answered_today'))
  if num(day, -1) ~= day_number() then return 0 end
  return num(answered, 0)
end

-- How well an agent's skills cover what a contact needs (higher is better).
local function skill_fit(agent, needs)
  local have, total = agent_queues(agent, true), 0
  for skill, _ in pairs(needs) do total = total + (tonumber(have[skill] or 0) or 0) end
  return total
end

-- Strategies rank the qualified free agents; ties go to whoever stands first in line.
local RULES = {
  longest_idle = 'longest idle available agent',
  fewest_today = 'available agent with the fewest contacts answered today',
  round_robin = 'available agent offered a contact least recently',
  best_skill = 'available agent whose skill levels best cover what the contact needs',
}
local function rank(strategy, agent, needs)
  if strategy == 'fewest_today' then return answered_today(agent) end
  if strategy == 'round_robin' then return num(redis.call('HGET', akey(agent), 'last_offer_at'), 0) end
  if strategy == 'best_skill' then return -skill_fit(agent, needs) end
  return 0
end

-- Reserve contact and agent together: the offer is a lease that ends at the deadline. `rec`
-- (optional): the contact's record (contact_record); rec.queued == false: it is in no waiting set;
-- rec.unwritten: a new contact's fields, not written yet (they go in the offer's HSET).
local function offer(cid, agent, timeout_ms, why, rec)
  local c = ckey(cid)
  rec = rec or contact_record(cid)
  local q, ch, enqueued_at, info = rec.queue, rec.channel, rec.enqueued_at, rec.info
  local deadline = NOW + offer_timeout(q, timeout_ms)
  why.agent = agent
  why.at = NOW
  local why_json = cjson.encode(why)
  if redis.call('RPUSH', c .. ':why', why_json) > 20 then redis.call('LTRIM', c .. ':why', -20, -1) end
  if rec.queued ~= false then unqueue_contact(cid, rec) end
  local fields = rec.unwritten or {}
  rec.unwritten = nil
  for _, v in ipairs({'state', 'offered', 'agent', agent, 'deadline', deadline}) do fields[#fields + 1] = v end
  redis.call('HSET', c, unpack(fields))
  redis.call('ZADD', LEASES, deadline, cid)
  if ch == 'chat' then redis.call('HSET', akey(agent), 'last_offer_at', NOW) end
  emit('offer.created', {
    contact = cid, agent = agent, queue = q, channel = ch, deadline = deadline,
    enqueued_at = tonumber(enqueued_at), info = rec.info_table or cjson.decode(info),
  }, 'why', why_json)
  if ch == 'chat' then
    redis.call('SADD', chats_of(agent), cid)
    chat_load_changed(agent)
  else
    leave_idle(agent)
    refresh_chat_line(agent, 'reserved', {'last_offer_at', NOW, 'state', 'reserved', 'reason', '', 'since', NOW,
      'contact', cid})
    emit('agent.state', {agent = agent, state = 'reserved', reason = '', contact = cid})
  end
  return agent
end

-- The lines a contact may be matched from, widest last: its queue's agents (with the skills
-- the queue and the contact need), then the agents of queues it overflowed to, then anyone
-- (with the contact's own needs), each with levels lowered by its overflow steps.
local function lines_for(rec)
  local q, ch, needs, own, spills, any = rec.queue, rec.channel, rec.needs, rec.own, rec.spill, rec.any
  local lines = {{key = idle(q, ch), needs = rec.needs_table or decode(needs, {}), label = 'queue ' .. q}}
  own = decode(own, {})
  for _, x in ipairs(split(spills)) do
    lines[#lines + 1] = {key = idle(x, ch), needs = own, label = 'overflow queue ' .. x}
  end
  if any == '1' then lines[#lines + 1] = {key = idle_any(ch), needs = own, label = 'any agent (overflow)'} end
  return lines, q
end

-- A new or returned contact takes the best qualified free agent by its queue's strategy;
-- the agents passed over, and why, are kept with the offer.
-- `rec` (optional): the contact's record (contact_record), when the caller has it.
local function match_contact(cid, timeout_ms, rec)
  rec = rec or contact_record(cid)
  local skip = while_it_lasts(rec.skip_until, rec.skip_agent)
  local preferred = while_it_lasts(rec.prefer_until, rec.preferred)
  local relax = num(rec.relax, 0)
  local lines, q = lines_for(rec)
  local strategy = queue_setting(q, 'strategy') or 'longest_idle'
  local stops_early = strategy == 'longest_idle' or preferred ~= nil
  -- The first SCAN agents of a line, in order; when the scan usually stops at the first agent,
  -- that one is fetched first, then the rest.
  local function scan_line(key)
    local got, i, fetched, done = {}, 0, 0, false
    return function()
      i = i + 1
      if i > fetched and not done then
        local size = (stops_early and fetched == 0) and 1 or SCAN - fetched
        local page = redis.call('ZRANGE', key, fetched, fetched + size - 1)
        for k = 1, #page do got[fetched + k] = page[k] end
        fetched = fetched + #page
        done = #page < size or fetched >= SCAN
      end
      return got[i]
    end
  end
  local passed, seen = {}, {}
  for _, line in ipairs(lines) do
    local best, best_rank = nil, nil
    for agent in scan_line(line.key) do
      if not seen[agent] then
        seen[agent] = true
        local ok, reason = qualifies(agent, line.needs, relax)
        if agent == skip then ok, reason = false, 'passed on this contact moments ago' end
        if ok and preferred and agent ~= preferred then ok, reason = false, 'kept for the agent who last served this customer' end
        if ok then
          local r = rank(strategy, agent, line.needs)
          if best_rank == nil or r < best_rank then
            if best then passed[#passed + 1] = {agent = best, reason = 'ranked lower by ' .. strategy} end
            best, best_rank = agent, r
          else
            passed[#passed + 1] = {agent = agent, reason = 'ranked lower by ' .. strategy}
          end
          if strategy == 'longest_idle' or preferred then break end
        else
          passed[#passed + 1] = {agent = agent, reason = reason}
        end
      end
    end
    if best then
      local rule = (preferred and 'the agent who last served this customer') or (RULES[strategy] or strategy)
      return offer(cid, best, timeout_ms, {
        rule = rule .. ' in ' .. line.label .. ' with the skills needed', strategy = strategy,
        needs = line.needs, relaxed_by = relax, passed_over = passed,
      }, rec)
    end
  end
  return false
end

-- Where a free agent looks for work on a channel: the head of each of its queues, of the
-- overflow from other queues to them, and of the overflow to any agent.
local function sources_for(agent, ch)
  local sources = {}
  for _, q in ipairs(agent_queues(agent)) do
    sources[#sources + 1] = {key = waiting(q, ch), field = 'needs'}
    sources[#sources + 1] = {key = spill(q, ch), field = 'own'}
  end
  sources[#sources + 1] = {key = spill_any(ch), field = 'own'}
  return sources
end

-- An agent with room takes the most urgent contact it qualifies for: urgency is the time
-- waited plus the priority head start, times the contact's queue weight (cross-queue weights).
local function match_agent(agent, ch, timeout_ms)
  if redis.call('HGET', akey(agent), 'away') == '1' then return false end  -- no console: no new offers
  local best, best_urgency, best_needs = nil, nil, nil
  local passed, weights = {}, {}
  local sources, keys = sources_for(agent, ch), {}
  for i, source in ipairs(sources) do keys[i] = source.key end
  if redis.call('EXISTS', unpack(keys)) == 0 then return false end  -- nothing waits: one call, not one per source
  for _, source in ipairs(sources) do
    local head = redis.call('ZRANGE', source.key, 0, 4, 'WITHSCORES')
    for i = 1, #head, 2 do
      local cid = head[i]
      local c = ckey(cid)
      local rec = {}
      rec.queue, rec.needs, rec.relax, rec.skip_until, rec.skip_agent, rec.prefer_until, rec.preferred =
        unpack(redis.call('HMGET', c, 'queue', source.field, 'relax', 'skip_until', 'skip_agent', 'prefer_until',
          'preferred'))
      local q, needs = rec.queue, decode(rec.needs, {})
      local ok, reason = qualifies(agent, needs, num(rec.relax, 0))
      if while_it_lasts(rec.skip_until, rec.skip_agent) == agent then ok, reason = false, 'passed on it moments ago' end
      local kept_for = while_it_lasts(rec.prefer_until, rec.preferred)
      if ok and kept_for and kept_for ~= agent then ok, reason = false, 'kept for the agent who last served the customer' end
      if ok then
        if weights[q] == nil then weights[q] = num(queue_setting(q, 'weight'), 1) end
        local urgency = (NOW - tonumber(head[i + 1])) * weights[q]
        if best_urgency == nil or urgency > best_urgency then best, best_urgency, best_needs = cid, urgency, needs end
        break
      end
      passed[#passed + 1] = {contact = cid, reason = reason}
    end
  end
  if best == nil then return false end
  offer(best, agent, timeout_ms, {
    rule = 'agent became free: the most urgent contact (priority, waiting time, queue weight) across its queues',
    needs = best_needs, contacts_passed_over = passed,
  })
  return best
end

-- Fill the agent's free chat slots from waiting chats.
local function fill_chats(agent, timeout_ms)
  for _ = 1, num(redis.call('HGET', akey(agent), 'chat_cap'), 0) do
    if not chat_room(agent) or not match_agent(agent, 'chat', timeout_ms) then return end
  end
end
