-- ARGV: prefix, now, contact id, agent, day, default service-level threshold ms
-- The agent's leg joined the caller's conference: the call is answered now (statistics, answered_at).
-- Twilio may report the join twice (status callback and conference event): the second changes nothing.
local cid, agent, day, default_sl = ARGV[3], ARGV[4], ARGV[5] or 'today', num(ARGV[6], 15000)
local c = ckey(cid)
local state, holder, q, ch = unpack(redis.call('HMGET', c, 'state', 'agent', 'queue', 'channel'))
if state == 'assigned' and holder == agent then return {'ok', 'assigned'} end
if state ~= 'connecting' or holder ~= agent then return {'err', 'not_connecting'} end
redis.call('HSET', c, 'state', 'assigned', 'answered_at', NOW)
count_answered(cid, agent, day, default_sl)
emit('contact.joined', {contact = cid, agent = agent, queue = q, channel = ch})
local consulting = redis.call('HGET', c, 'consult_from')
if consulting and consulting ~= '' then  -- a warm transfer: tell the transferring agent who is on now
  emit('consult.joined', {contact = cid, agent = consulting, by = agent, queue = q, channel = ch})
end
return {'ok', 'assigned'}
