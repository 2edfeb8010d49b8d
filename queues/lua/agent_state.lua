-- ARGV: prefix, now, agent, state (available|not_ready|offline), reason, queues csv, offer timeout ms,
-- skills json (skill -> level 1-5)
local agent, state, reason, queues, timeout_ms = ARGV[3], ARGV[4], ARGV[5], ARGV[6], tonumber(ARGV[7])
local skills = ARGV[8] or '{}'
local a = akey(agent)
local current = redis.call('HGET', a, 'state') or 'offline'
if current == 'busy' then return {'err', 'busy'} end
if current == state and state == 'available' and redis.call('HGET', a, 'queues') == queues
  and redis.call('HGET', a, 'skills') == skills then
  return {'ok', current}  -- pressing Available again keeps the agent's place in the idle line
end
if current == 'reserved' then
  if state == 'available' then return {'ok', current} end
  return_contact(redis.call('HGET', a, 'contact'), 'agent_' .. state)
end
leave_idle(agent)
for _, q in ipairs(agent_queues(agent)) do redis.call('SREM', P .. 'members:' .. q, agent) end
for _, q in ipairs(split(queues)) do redis.call('SADD', P .. 'members:' .. q, agent) end
redis.call('ZREM', WRAPUPS, agent)
redis.call('HSET', a, 'id', agent, 'queues', queues, 'skills', skills, 'contact', '', 'missed', 0)
if state == 'available' then
  make_available(agent, timeout_ms)
else
  set_agent(agent, state, reason)
end
if current == 'reserved' then
  -- The returned contact goes to the next free agent, keeping its place.
  for _, q in ipairs(split(queues)) do
    local head = redis.call('ZRANGE', waiting(q), 0, 0)
    if #head > 0 then match_contact(head[1], timeout_ms) end
  end
end
return {'ok', redis.call('HGET', a, 'state')}
