-- ARGV: prefix, now, contact id, info json (fields added to the contact's info).
-- The caller asked to be called back while waiting: the contact keeps its place (and an offer it
-- has), but nobody is on the line any more, so the queue's maximum wait no longer applies to it.
-- Returns the contact's state; only a waiting or offered contact becomes a callback.
local cid, extra = ARGV[3], decode(ARGV[4], {})
local c = ckey(cid)
local state, q, ch, info = unpack(redis.call('HMGET', c, 'state', 'queue', 'channel', 'info'))
if not state then return {'err', 'unknown'} end
if state ~= 'waiting' and state ~= 'offered' then return {'ok', state} end
local merged = decode(info, {})
for k, v in pairs(extra) do merged[k] = v end
redis.call('HSET', c, 'info', cjson.encode(merged), 'callback', '1')
redis.call('HDEL', c, 'call')  -- nobody to move into a room when an agent accepts
redis.call('ZREM', MAX_WAITS, cid)
emit('contact.callback_requested', {contact = cid, queue = q, channel = ch, info = merged})
return {'ok', state}
