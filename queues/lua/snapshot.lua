-- ARGV: prefix, now, agent. One consistent read: last sequence, agent, its contact.
local agent = ARGV[3]
local seq = redis.call('GET', P .. 'seq') or '0'
local a = redis.call('HGETALL', akey(agent))
local cid = redis.call('HGET', akey(agent), 'contact')
local c = {}
if cid and cid ~= '' then c = redis.call('HGETALL', ckey(cid)) end
return {seq, a, c}
