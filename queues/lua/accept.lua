-- ARGV: prefix, now, contact id, agent, day, default service-level threshold ms
local cid, agent, day, default_sl = ARGV[3], ARGV[4], ARGV[5] or 'today', num(ARGV[6], 15000)
local c = ckey(cid)
local state, holder, deadline, q, ch, enqueued_at = unpack(redis.call('HMGET', c,
  'state', 'agent', 'deadline', 'queue', 'channel', 'enqueued_at'))
if state ~= 'offered' or holder ~= agent then return {'err', 'not_offered'} end
if tonumber(deadline) < NOW then return {'err', 'expired'} end
redis.call('ZREM', LEASES, cid)
forget_timers(cid)
redis.call('HSET', c, 'state', 'assigned', 'deadline', '', 'answered_at', NOW)
local a = akey(agent)
local waited = NOW - tonumber(enqueued_at)
local stats = P .. 'stats:queue:' .. q .. ':' .. day
local in_sl = waited <= num(queue_setting(q, 'sl_ms'), default_sl) and 1 or 0
redis.call('HINCRBY', stats, 'answered', 1)
redis.call('HINCRBY', stats, 'wait_ms', waited)
if in_sl == 1 then redis.call('HINCRBY', stats, 'answered_in_sl', 1) end
redis.call('EXPIRE', stats, 40 * 86400)
count('agent', agent, day, 'answered', 1)
local today = day_number()
local answered_day, answered_today = unpack(redis.call('HMGET', a, 'answered_day', 'answered_today'))
if num(answered_day, -1) ~= today then answered_today = 0 end
local fields = {'missed', 0, 'answered_day', today, 'answered_today', num(answered_today, 0) + 1}
emit('offer.accepted', {contact = cid, agent = agent, queue = q, channel = ch})
if ch ~= 'chat' then set_agent(agent, 'busy', '', fields) else redis.call('HSET', a, unpack(fields)) end
return {'ok', 'assigned'}
