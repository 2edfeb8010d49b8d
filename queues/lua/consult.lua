-- ARGV: prefix, now, contact id, agent (who has the call), target queue ('' = same), target agent
-- ('' = none), offer timeout ms, the transfer's context as JSON.
-- A warm transfer: the caller (on hold) is offered to the target — an agent of the queue, or the named
-- agent — while the transferring agent stays on the call (`consult_from`). Once the target has joined,
-- the transferring agent completes (leaves) or cancels (consult_end.lua). No maximum wait or overflow
-- runs meanwhile: the caller is with an agent all along.
local cid, agent, target_q, target_agent = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local timeout_ms, context = tonumber(ARGV[7]), ARGV[8] or ''
local c = ckey(cid)
local state, holder, from, ch, priority, consulting, answered_at = unpack(redis.call('HMGET', c,
  'state', 'agent', 'queue', 'channel', 'priority', 'consult_from', 'answered_at'))
if state ~= 'assigned' or holder ~= agent then return {'err', 'not_yours'} end
if ch == 'chat' then return {'err', 'not_a_call'} end
if consulting and consulting ~= '' then return {'err', 'consulting'} end
if target_agent ~= '' then
  local target_state, away = unpack(redis.call('HMGET', akey(target_agent), 'state', 'away'))
  if target_agent == agent or target_state ~= 'available' or away == '1' then return {'err', 'agent_unavailable'} end
end
local q = target_q ~= '' and target_q or from
move_to_queue(cid, q, tonumber(priority))
redis.call('HSET', c, 'state', 'waiting', 'agent', '', 'consult_from', agent, 'consult_answered_at', answered_at or '',
  'on_hold', '')
if context ~= '' then
  local info = decode(redis.call('HGET', c, 'info'), {})
  info.transfer = cjson.decode(context)
  redis.call('HSET', c, 'info', cjson.encode(info))
end
skip_for_a_while(cid, agent)
start_in_queue(cid)
forget_timers(cid)
queue_contact(cid)
emit('contact.consulting', {contact = cid, agent = agent, from_queue = from, queue = q, channel = ch,
  to_agent = target_agent})
if target_agent ~= '' then
  offer(cid, target_agent, timeout_ms, {rule = 'consulted by agent ' .. agent, passed_over = {}})
else
  match_contact(cid, timeout_ms)
end
return {'ok', redis.call('HGET', c, 'state')}
