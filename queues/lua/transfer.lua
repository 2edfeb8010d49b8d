-- ARGV: prefix, now, contact id, agent (who has it now), target queue ('' = same), target agent ('' = none),
-- offer timeout ms, default wrap-up ms.
-- The contact goes back to waiting — in the target queue, with its original arrival time — or is
-- offered straight to the target agent; the transferring agent goes to wrap-up.
local cid, agent, target_q, target_agent = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local timeout_ms, default_wrapup = tonumber(ARGV[7]), tonumber(ARGV[8])
local c = ckey(cid)
if redis.call('HGET', c, 'state') ~= 'assigned' or redis.call('HGET', c, 'agent') ~= agent then
  return {'err', 'not_yours'}
end
if target_agent ~= '' and redis.call('HGET', akey(target_agent), 'state') ~= 'available' then
  return {'err', 'agent_unavailable'}
end
local from = redis.call('HGET', c, 'queue')
local q = target_q ~= '' and target_q or from
redis.call('HSET', c, 'state', 'waiting', 'agent', '', 'queue', q, 'answered_at', '')
redis.call('ZADD', waiting(q), tonumber(redis.call('HGET', c, 'score')), cid)
emit('contact.transferred', {contact = cid, agent = agent, from_queue = from, queue = q, to_agent = target_agent})
local until_ms = NOW + (tonumber(queue_setting(from, 'wrapup_ms') or '') or default_wrapup)
redis.call('HSET', akey(agent), 'wrapup_until', until_ms)
redis.call('ZADD', WRAPUPS, until_ms, agent)
set_agent(agent, 'wrap_up', 'transferred')
if target_agent ~= '' then
  offer(cid, target_agent, timeout_ms, {rule = 'transferred to this agent by agent ' .. agent, passed_over = {}})
else
  match_contact(cid, timeout_ms)
end
return {'ok', redis.call('HGET', c, 'state')}
