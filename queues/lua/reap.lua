-- ARGV: prefix, now, offer timeout ms, missed limit. Returns expired offers to their queue.
local timeout_ms, missed_limit = tonumber(ARGV[3]), tonumber(ARGV[4])
local expired = redis.call('ZRANGEBYSCORE', LEASES, '-inf', NOW, 'LIMIT', 0, 200)
for _, cid in ipairs(expired) do
  local c = ckey(cid)
  local agent = redis.call('HGET', c, 'agent')
  if redis.call('HGET', c, 'state') ~= 'offered' or not agent or agent == '' then
    redis.call('ZREM', LEASES, cid)
  else
    return_contact(cid, 'timeout')
    local missed = redis.call('HINCRBY', akey(agent), 'missed', 1)
    redis.call('HSET', akey(agent), 'contact', '')
    if missed >= missed_limit then
      set_agent(agent, 'not_ready', 'missed')
    else
      set_agent(agent, 'available', '')
      join_idle(agent, NOW)
    end
    match_contact(cid, timeout_ms)
  end
end
return #expired
