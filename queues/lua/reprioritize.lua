-- ARGV: prefix, now, contact id, new priority (0-9), target queue ('' = same), offer timeout ms.
-- A supervisor changes a waiting contact's priority and/or moves it to another queue. Its
-- arrival time is kept, so within its new priority it stands where its waiting time puts it.
local cid, priority, target, timeout_ms = ARGV[3], tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[6])
local c = ckey(cid)
local state, from, old_priority = unpack(redis.call('HMGET', c, 'state', 'queue', 'priority'))
if not state then return {'err', 'unknown'} end
if state ~= 'waiting' then return {'err', 'not_waiting'} end
local to = target ~= '' and target or from
unqueue_contact(cid)
move_to_queue(cid, to, priority)
if to ~= from then start_in_queue(cid) end
queue_contact(cid)
emit('contact.requeued', {contact = cid, from_queue = from, queue = to, priority = priority,
  old_priority = tonumber(old_priority)})
match_contact(cid, timeout_ms)
return {'ok', redis.call('HGET', c, 'state')}
