-- ARGV: prefix, now, contact id, agent, day, default service-level threshold ms, the process connecting a
-- call (`accepted_by`: the reconciler gives back at once a call whose process died before ringing the agent)
-- A chat is assigned at once. A call is `connecting` until the agent's leg joins the caller's
-- conference (joined.lua): only then is it answered and counted; a leg that fails goes back
-- (join_failed.lua), so a ringing phone is never counted as an answered call.
-- Returns {'ok', state, the caller's CallSid ('' for a chat or a callback)}.
local cid, agent, day, default_sl = ARGV[3], ARGV[4], ARGV[5] or 'today', num(ARGV[6], 15000)
local c = ckey(cid)
local state, holder, deadline, q, ch, call =
  unpack(redis.call('HMGET', c, 'state', 'agent', 'deadline', 'queue', 'channel', 'call'))
if state ~= 'offered' or holder ~= agent then return {'err', 'not_offered'} end
if tonumber(deadline) < NOW then return {'err', 'expired'} end
redis.call('ZREM', LEASES, cid)
forget_timers(cid)
emit('offer.accepted', {contact = cid, agent = agent, queue = q, channel = ch})
if ch ~= 'chat' then
  redis.call('HSET', c, 'state', 'connecting', 'deadline', '', 'accepted_at', NOW, 'accepted_by', ARGV[7] or '')
  set_agent(agent, 'busy', '', {'missed', 0})
  return {'ok', 'connecting', call or ''}
end
redis.call('HSET', c, 'state', 'assigned', 'deadline', '', 'answered_at', NOW)
count_answered(cid, agent, day, default_sl)
return {'ok', 'assigned', ''}
