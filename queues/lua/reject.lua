-- ARGV: prefix, now, contact id, agent, reason (rejected|timeout), offer timeout ms, missed limit
local cid, agent, reason = ARGV[3], ARGV[4], ARGV[5]
local timeout_ms, missed_limit = tonumber(ARGV[6]), tonumber(ARGV[7])
local c = ckey(cid)
if redis.call('HGET', c, 'state') ~= 'offered' or redis.call('HGET', c, 'agent') ~= agent then
  return {'err', 'not_offered'}
end
pass_on(cid, agent, reason, timeout_ms, missed_limit)
return {'ok', redis.call('HGET', c, 'state')}
