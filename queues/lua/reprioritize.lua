-- ARGV: prefix, now, contact id, new priority (0-9), target queue ('' = same), offer timeout ms.
-- A supervisor changes a waiting contact's priority and/or moves it to another queue. Its
-- arrival time is kept, so within its new priority it stands where its waiting time puts it.
local cid, priority, target, timeout_ms = ARGV[3], tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[6])
local c = ckey(cid)
local state = redis.call('HGET', c, 'state')
if not state then return {'err', 'unknown'} end
if state ~= 'waiting' then return {'err', 'not_waiting'} end
local from = redis.call('HGET', c, 'queue')
local to = target ~= '' and target or from
local old_priority = tonumber(redis.call('HGET', c, 'priority'))
local old_score = tonumber(redis.call('HGET', c, 'score'))
-- Keep any head start the contact had (e.g. a restored place); shift it by the priority change.
local score = old_score + (old_priority - priority) * 1e13
redis.call('ZREM', waiting(from), cid)
redis.call('HSET', c, 'queue', to, 'priority', priority, 'score', score)
redis.call('ZADD', waiting(to), score, cid)
emit('contact.requeued', {contact = cid, from_queue = from, queue = to, priority = priority,
  old_priority = old_priority})
match_contact(cid, timeout_ms)
return {'ok', redis.call('HGET', c, 'state')}
