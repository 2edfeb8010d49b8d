-- ARGV: prefix, now, contact id, agent, reason (e.g. leg_no-answer), offer timeout ms
-- The agent accepted but their leg never joined (not answered, busy, failed, declined, dropped):
-- the contact goes back to its queue with its place and its timers (overflow, maximum wait), and
-- the agent goes not ready ('missed'): a phone that does not answer should not be offered more.
local cid, agent, reason, timeout_ms = ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6])
local c = ckey(cid)
local state, holder, q, queued_at = unpack(redis.call('HMGET', c, 'state', 'agent', 'queue', 'queued_at'))
if state ~= 'connecting' or holder ~= agent then return {'err', 'not_connecting'} end
return_contact(cid, reason)
skip_for_a_while(cid, agent)
schedule_overflow(cid)
local max_wait = num(queue_setting(q, 'max_wait_ms'), 0)
if max_wait > 0 then redis.call('ZADD', MAX_WAITS, math.max(NOW, num(queued_at, NOW) + max_wait), cid) end
local a = akey(agent)
local others = give_back_offers(agent, 'agent_not_ready')
leave_idle(agent)
redis.call('HSET', a, 'contact', '')
set_agent(agent, 'not_ready', 'missed', {'missed', 0})
match_contact(cid, timeout_ms)
for _, other in ipairs(others) do match_contact(other, timeout_ms) end
return {'ok', redis.call('HGET', c, 'state')}
