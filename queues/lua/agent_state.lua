-- ARGV: prefix, now, agent, state (available|not_ready|offline), reason, queues csv, offer timeout ms,
-- skills json (skill -> level 1-5), chat capacity, voice blocks chat (1|0)
local agent, state, reason, queues, timeout_ms = ARGV[3], ARGV[4], ARGV[5], ARGV[6], tonumber(ARGV[7])
local skills, chat_cap, blocks = ARGV[8] or '{}', ARGV[9] or '0', ARGV[10] or '1'
local a = akey(agent)
local current, old_queues, old_skills, old_cap, old_blocks = unpack(redis.call('HMGET', a,
  'state', 'queues', 'skills', 'chat_cap', 'voice_blocks_chat'))
current = current or 'offline'
if current == 'busy' then return {'err', 'busy'} end
local same = old_queues == queues and old_skills == skills and old_cap == chat_cap and old_blocks == blocks
if current == state and state == 'available' and same then
  return {'ok', current}  -- pressing Available again keeps the agent's place in the idle line
end
if current == 'reserved' and state == 'available' and same then return {'ok', current} end
local returned = {}
if state ~= 'available' then returned = give_back_offers(agent, 'agent_' .. state) end
leave_all_lines(agent)
for _, q in ipairs(agent_queues(agent)) do redis.call('SREM', P .. 'members:' .. q, agent) end
for _, q in ipairs(split(queues)) do redis.call('SADD', P .. 'members:' .. q, agent) end
redis.call('HSET', a, 'id', agent, 'queues', queues, 'skills', skills, 'chat_cap', chat_cap,
  'voice_blocks_chat', blocks, 'missed', 0, 'pending_not_ready', '')
if state == 'offline' then
  -- Logged out: presence starts again with the next console (no grace, no "away" to restore).
  redis.call('HSET', a, 'away', '')
  redis.call('ZREM', AWAY, agent)
end
read_once.agents[agent] = nil  -- its queues and skills were read above, before they changed
if current == 'reserved' and state == 'available' then
  -- New queues or skills while an offer rings: the offer stands; the lines follow the new settings.
  refresh_chat_line(agent)
elseif state == 'available' then
  make_available(agent, timeout_ms)
else
  redis.call('ZREM', WRAPUPS, agent)
  redis.call('HSET', a, 'contact', '', 'wrapup_until', '')
  set_agent(agent, state, reason)
end
-- The returned contacts go to the next free agent, keeping their place.
for _, cid in ipairs(returned) do match_contact(cid, timeout_ms) end
return {'ok', redis.call('HGET', a, 'state')}
