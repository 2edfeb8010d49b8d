-- ARGV: prefix, now, queue, day. One consistent read of a queue's live figures.
local q, day = ARGV[3], ARGV[4]
local oldest, by_channel, total = nil, {}, 0
for _, ch in ipairs({'voice', 'chat'}) do
  local ids = redis.call('ZRANGE', waiting(q, ch), 0, -1)
  by_channel[ch] = #ids
  total = total + #ids
  for _, cid in ipairs(ids) do
    local at = tonumber(redis.call('HGET', ckey(cid), 'enqueued_at'))
    if at and (oldest == nil or at < oldest) then oldest = at end
  end
end
local by_state = {}
for _, agent in ipairs(redis.call('SMEMBERS', P .. 'members:' .. q)) do
  local state = redis.call('HGET', akey(agent), 'state') or 'offline'
  by_state[state] = (by_state[state] or 0) + 1
end
local counters = redis.call('HGETALL', P .. 'stats:queue:' .. q .. ':' .. day)
return cjson.encode({
  waiting = total,
  waiting_by_channel = by_channel,
  longest_wait_ms = oldest and (NOW - oldest) or 0,
  agents = by_state,
  counters = counters,
  sl_ms = num(queue_setting(q, 'sl_ms'), cjson.null),
})
