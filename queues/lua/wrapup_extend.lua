-- ARGV: prefix, now, agent, extra ms, chat contact id ('' = voice). The agent needs more time to write up.
local agent, extra, cid = ARGV[3], tonumber(ARGV[4]), ARGV[5] or ''
local key, zset, member = akey(agent), WRAPUPS, agent
if cid ~= '' then
  if redis.call('HGET', ckey(cid), 'agent') ~= agent then return {'err', 'not_in_wrap_up'} end
  key, zset, member = ckey(cid), CHAT_WRAPUPS, cid
elseif redis.call('HGET', key, 'state') ~= 'wrap_up' then
  return {'err', 'not_in_wrap_up'}
end
local current = redis.call('HGET', key, 'wrapup_until')
if not current or current == '' then return {'err', 'not_in_wrap_up'} end
local until_ms = math.max(tonumber(current), NOW) + extra
redis.call('HSET', key, 'wrapup_until', until_ms)
redis.call('ZADD', zset, until_ms, member)
emit('agent.wrap_up_extended', {agent = agent, contact = cid ~= '' and cid or nil, wrapup_until = until_ms})
return {'ok', tostring(until_ms)}
