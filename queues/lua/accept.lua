-- ARGV: prefix, now, contact id, agent, day, default service-level threshold ms
local cid, agent, day, default_sl = ARGV[3], ARGV[4], ARGV[5] or 'today', tonumber(ARGV[6] or '15000')
local c = ckey(cid)
if redis.call('HGET', c, 'state') ~= 'offered' or redis.call('HGET', c, 'agent') ~= agent then
  return {'err', 'not_offered'}
end
if tonumber(redis.call('HGET', c, 'deadline')) < NOW then return {'err', 'expired'} end
redis.call('ZREM', LEASES, cid)
redis.call('HSET', c, 'state', 'assigned', 'deadline', '', 'answered_at', NOW)
redis.call('HSET', akey(agent), 'missed', 0)
local q = redis.call('HGET', c, 'queue')
local waited = NOW - tonumber(redis.call('HGET', c, 'enqueued_at'))
count('queue', q, day, 'answered', 1)
count('queue', q, day, 'wait_ms', waited)
if waited <= (tonumber(queue_setting(q, 'sl_ms') or '') or default_sl) then count('queue', q, day, 'answered_in_sl', 1) end
count('agent', agent, day, 'answered', 1)
local today = day_number()
if tonumber(redis.call('HGET', akey(agent), 'answered_day') or '-1') ~= today then
  redis.call('HSET', akey(agent), 'answered_day', today, 'answered_today', 0)
end
redis.call('HINCRBY', akey(agent), 'answered_today', 1)
emit('offer.accepted', {contact = cid, agent = agent, queue = redis.call('HGET', c, 'queue')})
set_agent(agent, 'busy', '')
return {'ok', 'assigned'}
