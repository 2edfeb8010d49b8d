-- ARGV: prefix, now, contact id, agent
local cid, agent = ARGV[3], ARGV[4]
local c = ckey(cid)
if redis.call('HGET', c, 'state') ~= 'offered' or redis.call('HGET', c, 'agent') ~= agent then
  return {'err', 'not_offered'}
end
if tonumber(redis.call('HGET', c, 'deadline')) < NOW then return {'err', 'expired'} end
redis.call('ZREM', LEASES, cid)
redis.call('HSET', c, 'state', 'assigned', 'deadline', '', 'answered_at', NOW)
redis.call('HSET', akey(agent), 'missed', 0)
emit('offer.accepted', {contact = cid, agent = agent, queue = redis.call('HGET', c, 'queue')})
set_agent(agent, 'busy', '')
return {'ok', 'assigned'}
