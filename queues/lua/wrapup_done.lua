-- ARGV: prefix, now, agent, next state (available|not_ready), reason, offer timeout ms, chat contact id ('' = voice),
-- the voice contact whose wrap-up this must be ('' = whichever)
local agent, state, reason, timeout_ms, cid = ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6]), ARGV[7] or ''
local voice = ARGV[8] or ''
if cid ~= '' then
  local holder, wrapping = unpack(redis.call('HMGET', ckey(cid), 'agent', 'wrapup_until'))
  if holder ~= agent or not wrapping or wrapping == '' then return {'err', 'not_in_wrap_up'} end
  release_chat(cid, timeout_ms)
  return {'ok', redis.call('HGET', akey(agent), 'state')}
end
local current, wrapping = unpack(redis.call('HMGET', akey(agent), 'state', 'contact'))
if current ~= 'wrap_up' or (voice ~= '' and wrapping ~= voice) then return {'err', 'not_in_wrap_up'} end
if state == 'available' then
  make_available(agent, timeout_ms)
else
  redis.call('ZREM', WRAPUPS, agent)
  redis.call('HSET', akey(agent), 'contact', '', 'wrapup_until', '', 'pending_not_ready', '')
  set_agent(agent, state, reason)
end
return {'ok', redis.call('HGET', akey(agent), 'state')}
