-- ARGV: prefix, now, contact id, agent, reason (rejected|timeout), offer timeout ms, missed limit
local cid, agent, reason = ARGV[3], ARGV[4], ARGV[5]
local timeout_ms, missed_limit = tonumber(ARGV[6]), tonumber(ARGV[7])
local c = ckey(cid)
local state, holder = unpack(redis.call('HMGET', c, 'state', 'agent'))
if state ~= 'offered' or holder ~= agent then return {'err', 'not_offered'} end
pass_on(cid, agent, reason, timeout_ms, missed_limit)
return {'ok', redis.call('HGET', c, 'state')}
