-- ARGV: prefix, now, queues (csv), agents (csv). One consistent read of the floor for a wallboard:
-- the last sequence, each agent with its voice contact and number of chats, each contact waiting in
-- the queues (both channels, in queue order).
local queues, agents = split(ARGV[3]), split(ARGV[4])
local seq = redis.call('GET', P .. 'seq') or '0'
local people = {}
for _, agent in ipairs(agents) do
  local a = redis.call('HGETALL', akey(agent))
  local cid = redis.call('HGET', akey(agent), 'contact')
  local c = {}
  if cid and cid ~= '' then c = redis.call('HGETALL', ckey(cid)) end
  people[#people + 1] = {agent, a, c, redis.call('SCARD', chats_of(agent))}
end
local waiting_now = {}
for _, q in ipairs(queues) do
  for _, ch in ipairs({'voice', 'chat'}) do
    for _, cid in ipairs(redis.call('ZRANGE', waiting(q, ch), 0, -1)) do
      waiting_now[#waiting_now + 1] = redis.call('HGETALL', ckey(cid))
    end
  end
end
return {seq, people, waiting_now}
