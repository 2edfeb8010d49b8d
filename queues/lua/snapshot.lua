-- ARGV: prefix, now, agent. One consistent read: last sequence, agent, its voice contact, its chats.
local agent = ARGV[3]
local seq = redis.call('GET', P .. 'seq') or '0'
local a = redis.call('HGETALL', akey(agent))
local cid = redis.call('HGET', akey(agent), 'contact')
local c = {}
if cid and cid ~= '' then c = redis.call('HGETALL', ckey(cid)) end
local chats = {}
for _, chat in ipairs(redis.call('SMEMBERS', chats_of(agent))) do chats[#chats + 1] = redis.call('HGETALL', ckey(chat)) end
return {seq, a, c, chats}
