-- Shared by every routing script. Every key shares the hash tag in PREFIX, so the
-- scripts run unchanged on Redis Cluster. ARGV[1] = prefix, ARGV[2] = now (ms).
local P = ARGV[1]
local NOW = tonumber(ARGV[2])

local function ckey(id) return P .. 'contact:' .. id end
local function akey(id) return P .. 'agent:' .. id end
local function waiting(q) return P .. 'waiting:' .. q end
local function idle(q) return P .. 'idle:' .. q end
local function qkey(q) return P .. 'queue:' .. q end
local LEASES = P .. 'leases'
local RETRY = P .. 'retry'
local WRAPUPS = P .. 'wrapups'
-- How many idle agents one match looks at before giving up (they are scanned in strategy order).
local SCAN = 50
-- An agent who passed on a contact is not offered it again for this long.
local SKIP_MS = 5000

local function split(csv)
  local out = {}
  for part in string.gmatch(csv or '', '[^,]+') do out[#out + 1] = part end
  return out
end

-- Every state change goes out on the stream; the stream id's first part is the sequence.
local function emit(kind, data)
  local seq = redis.call('INCR', P .. 'seq')
  data.seq = seq
  data.type = kind
  data.at = NOW
  redis.call('XADD', P .. 'events', 'MAXLEN', '~', 50000, seq .. '-0', 'e', cjson.encode(data))
  return seq
end

local function agent_queues(agent)
  return split(redis.call('HGET', akey(agent), 'queues'))
end

local function leave_idle(agent)
  for _, q in ipairs(agent_queues(agent)) do redis.call('ZREM', idle(q), agent) end
end

local function join_idle(agent, since)
  for _, q in ipairs(agent_queues(agent)) do redis.call('ZADD', idle(q), since, agent) end
end

-- A queue's settings (written by queues/config.py); `default_timeout` comes from the process settings.
local function queue_setting(q, field)
  return redis.call('HGET', qkey(q), field)
end

local function offer_timeout(q, default_timeout)
  return tonumber(queue_setting(q, 'offer_timeout_ms') or '') or default_timeout
end

local function decode(json, fallback)
  if not json or json == '' then return fallback end
  return cjson.decode(json)
end

-- Can this agent serve a contact that needs these skills (skill -> minimum level)?
-- Returns true, or false and why not.
local function qualifies(agent, needs)
  local have = decode(redis.call('HGET', akey(agent), 'skills'), {})
  for skill, level in pairs(needs) do
    local got = tonumber(have[skill] or 0) or 0
    if got < tonumber(level) then
      return false, 'skill ' .. skill .. ' level ' .. got .. ' < ' .. level
    end
  end
  return true, nil
end

-- Today's counters of a queue and of an agent; `day` (e.g. 2026-11-22, in the hotline's time zone)
-- comes from the caller so every process agrees on when a day starts. Kept 40 days.
local function count(kind, id, day, field, amount)
  local key = P .. 'stats:' .. kind .. ':' .. id .. ':' .. day
  redis.call('HINCRBY', key, field, amount)
  redis.call('EXPIRE', key, 40 * 86400)
end

local function set_agent(agent, state, reason)
  redis.call('HSET', akey(agent), 'state', state, 'reason', reason or '', 'since', NOW)
  emit('agent.state', {agent = agent, state = state, reason = reason or ''})
end

-- Reserve contact and agent together: the offer is a lease that ends at the deadline.
local function offer(cid, agent, timeout_ms, why)
  local c = ckey(cid)
  local q = redis.call('HGET', c, 'queue')
  local deadline = NOW + offer_timeout(q, timeout_ms)
  why.agent = agent
  why.at = NOW
  local explanation = cjson.encode(why)
  redis.call('HSET', c, 'why', explanation)
  redis.call('RPUSH', c .. ':why', explanation)
  redis.call('LTRIM', c .. ':why', -20, -1)
  redis.call('ZREM', waiting(q), cid)
  redis.call('HSET', c, 'state', 'offered', 'agent', agent, 'deadline', deadline)
  redis.call('ZADD', LEASES, deadline, cid)
  leave_idle(agent)
  redis.call('HSET', akey(agent), 'state', 'reserved', 'reason', '', 'since', NOW, 'contact', cid, 'last_offer_at', NOW)
  emit('offer.created', {
    contact = cid, agent = agent, queue = q, deadline = deadline,
    enqueued_at = tonumber(redis.call('HGET', c, 'enqueued_at')),
    info = cjson.decode(redis.call('HGET', c, 'info')),
    why = why,
  })
  emit('agent.state', {agent = agent, state = 'reserved', reason = '', contact = cid})
  return agent
end

-- The agent who last passed on a contact, while that still counts.
local function skipped_by(cid)
  local until_ms = tonumber(redis.call('HGET', ckey(cid), 'skip_until') or '0') or 0
  if until_ms > NOW then return redis.call('HGET', ckey(cid), 'skip_agent') end
  return nil
end

-- Today as a day number in the hotline's time zone (the engine stores the zone's offset).
local function day_number()
  local offset = tonumber(redis.call('GET', P .. 'tz_offset_ms') or '0') or 0
  return math.floor((NOW + offset) / 86400000)
end

local function answered_today(agent)
  local a = akey(agent)
  if tonumber(redis.call('HGET', a, 'answered_day') or '-1') ~= day_number() then return 0 end
  return tonumber(redis.call('HGET', a, 'answered_today') or '0') or 0
end

-- How well an agent's skills cover what a contact needs (higher is better).
local function skill_fit(agent, needs)
  local have, total = decode(redis.call('HGET', akey(agent), 'skills'), {}), 0
  for skill, _ in pairs(needs) do total = total + (tonumber(have[skill] or 0) or 0) end
  return total
end

-- Strategies rank the qualified idle agents; ties go to whoever has been idle longest.
local RULES = {
  longest_idle = 'longest idle available agent',
  fewest_today = 'available agent with the fewest contacts answered today',
  round_robin = 'available agent offered a contact least recently',
  best_skill = 'available agent whose skill levels best cover what the contact needs',
}
local function rank(strategy, agent, needs)
  if strategy == 'fewest_today' then return answered_today(agent) end
  if strategy == 'round_robin' then return tonumber(redis.call('HGET', akey(agent), 'last_offer_at') or '0') or 0 end
  if strategy == 'best_skill' then return -skill_fit(agent, needs) end
  return 0
end

-- The agent a contact is kept for (the one who last served the customer), while that lasts.
local function preferred_for(cid)
  local until_ms = tonumber(redis.call('HGET', ckey(cid), 'prefer_until') or '0') or 0
  if until_ms > NOW then return redis.call('HGET', ckey(cid), 'preferred') end
  return nil
end

-- A new or returned contact takes the best qualified idle agent of its queue by the queue's
-- strategy; the agents passed over, and why, are kept with the offer.
local function match_contact(cid, timeout_ms)
  local q = redis.call('HGET', ckey(cid), 'queue')
  local skip = skipped_by(cid)
  local preferred = preferred_for(cid)
  local needs = decode(redis.call('HGET', ckey(cid), 'needs'), {})
  local strategy = queue_setting(q, 'strategy') or 'longest_idle'
  local passed, best, best_rank = {}, nil, nil
  for _, agent in ipairs(redis.call('ZRANGE', idle(q), 0, SCAN - 1)) do
    local ok, reason = qualifies(agent, needs)
    if agent == skip then ok, reason = false, 'passed on this contact moments ago' end
    if ok and preferred and agent ~= preferred then ok, reason = false, 'kept for the agent who last served this customer' end
    if ok then
      local r = rank(strategy, agent, needs)
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
  if not best then return false end
  local rule = (preferred and 'the agent who last served this customer') or (RULES[strategy] or strategy)
  return offer(cid, best, timeout_ms, {
    rule = rule .. ' in queue ' .. q .. ' with the skills needed', strategy = strategy,
    needs = needs, passed_over = passed,
  })
end

-- An agent becoming free takes the best waiting contact (priority, then waiting time) across
-- all its queues among those it is qualified for.
local function match_agent(agent, timeout_ms)
  local best, best_score, best_needs = nil, nil, nil
  local passed = {}
  for _, q in ipairs(agent_queues(agent)) do
    local head = redis.call('ZRANGE', waiting(q), 0, 4, 'WITHSCORES')
    for i = 1, #head, 2 do
      local cid = head[i]
      local needs = decode(redis.call('HGET', ckey(cid), 'needs'), {})
      local ok, reason = qualifies(agent, needs)
      if skipped_by(cid) == agent then ok, reason = false, 'passed on it moments ago' end
      local kept_for = preferred_for(cid)
      if ok and kept_for and kept_for ~= agent then ok, reason = false, 'kept for the agent who last served the customer' end
      if ok then
        local score = tonumber(head[i + 1])
        if best_score == nil or score < best_score then best, best_score, best_needs = cid, score, needs end
        break
      end
      passed[#passed + 1] = {contact = cid, reason = reason}
    end
  end
  if best == nil then return false end
  offer(best, agent, timeout_ms, {
    rule = 'agent became free: the first contact by priority then waiting time across its queues',
    needs = best_needs, contacts_passed_over = passed,
  })
  return best
end

-- Remember who passed on the contact; the reaper matches it again when that lapses.
local function skip_for_a_while(cid, agent)
  redis.call('HSET', ckey(cid), 'skip_agent', agent, 'skip_until', NOW + SKIP_MS)
  redis.call('ZADD', RETRY, NOW + SKIP_MS, cid)
end

-- Put an offered contact back in its queue with its original score (its place).
local function return_contact(cid, reason)
  local c = ckey(cid)
  local q = redis.call('HGET', c, 'queue')
  local agent = redis.call('HGET', c, 'agent')
  redis.call('ZREM', LEASES, cid)
  redis.call('HSET', c, 'state', 'waiting', 'agent', '', 'deadline', '')
  redis.call('ZADD', waiting(q), tonumber(redis.call('HGET', c, 'score')), cid)
  emit('offer.returned', {contact = cid, agent = agent, queue = q, reason = reason})
end

-- Agent goes back to available at the back of the idle line.
local function make_available(agent, timeout_ms)
  redis.call('ZREM', WRAPUPS, agent)
  redis.call('HSET', akey(agent), 'contact', '', 'missed', 0, 'wrapup_until', '')
  set_agent(agent, 'available', '')
  join_idle(agent, NOW)
  return match_agent(agent, timeout_ms)
end

-- The agent did not take the offer (rejected it, or the lease ran out): the contact goes
-- back with its place to the next agent; the agent rejoins at the back of the idle line,
-- or goes not-ready after too many missed offers in a row.
local function pass_on(cid, agent, reason, timeout_ms, missed_limit)
  return_contact(cid, reason)
  skip_for_a_while(cid, agent)
  local a = akey(agent)
  local missed = 0
  if reason == 'timeout' then missed = redis.call('HINCRBY', a, 'missed', 1) end
  redis.call('HSET', a, 'contact', '', 'missed', missed)
  if missed >= missed_limit then
    set_agent(agent, 'not_ready', 'missed')
  else
    set_agent(agent, 'available', '')
    join_idle(agent, NOW)
  end
  match_contact(cid, timeout_ms)
  if redis.call('HGET', a, 'state') == 'available' then match_agent(agent, timeout_ms) end
end
