-- ARGV: prefix, now, offer timeout ms, missed limit. Returns expired offers to their queue.
local timeout_ms, missed_limit = tonumber(ARGV[3]), tonumber(ARGV[4])
local expired = redis.call('ZRANGEBYSCORE', LEASES, '-inf', NOW, 'LIMIT', 0, 200)
for _, cid in ipairs(expired) do
  local agent = redis.call('HGET', ckey(cid), 'agent')
  if redis.call('HGET', ckey(cid), 'state') ~= 'offered' or not agent or agent == '' then
    redis.call('ZREM', LEASES, cid)
  else
    pass_on(cid, agent, 'timeout', timeout_ms, missed_limit)
  end
end
-- Contacts whose skip has lapsed get matched again (their agent may be the only one free).
local due = redis.call('ZRANGEBYSCORE', RETRY, '-inf', NOW, 'LIMIT', 0, 200)
for _, cid in ipairs(due) do
  redis.call('ZREM', RETRY, cid)
  if redis.call('HGET', ckey(cid), 'state') == 'waiting' then match_contact(cid, timeout_ms) end
end
-- Wrap-ups whose time is up: the agent is available again.
local done = redis.call('ZRANGEBYSCORE', WRAPUPS, '-inf', NOW, 'LIMIT', 0, 200)
for _, agent in ipairs(done) do
  redis.call('ZREM', WRAPUPS, agent)
  if redis.call('HGET', akey(agent), 'state') == 'wrap_up' then make_available(agent, timeout_ms) end
end
return #expired + #due + #done
