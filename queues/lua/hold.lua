-- ARGV: prefix, now, contact, agent, '1' to hold or '0' to resume. The agent puts the caller on hold
-- (music) or takes them back; only the agent the call is assigned to, only while it is assigned.
local cid, agent, on = ARGV[3], ARGV[4], ARGV[5] == '1'
local c = ckey(cid)
local state, holder, q, ch, held = unpack(redis.call('HMGET', c, 'state', 'agent', 'queue', 'channel', 'on_hold'))
if state ~= 'assigned' or holder ~= agent then return {'err', 'not_assigned'} end
if ch == 'chat' then return {'err', 'not_a_call'} end
if on == (held == '1') then return {'ok', on and 'held' or 'resumed'} end  -- a repeated click changes nothing
redis.call('HSET', c, 'on_hold', on and '1' or '')
emit(on and 'contact.held' or 'contact.resumed', {contact = cid, agent = agent, queue = q, channel = ch})
return {'ok', on and 'held' or 'resumed'}
