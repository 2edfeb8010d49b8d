-- ARGV: prefix, now, contact id, queue, priority (0-9, higher first), offer timeout ms, info json,
-- skills json (skill -> minimum level, on top of the queue's own), caller (E.164 or ''),
-- re-ring window ms (a caller who hung up while waiting and rings back within it gets their
-- place back), preferred agent (''), preference ms, channel (voice|chat), the caller's call (a
-- CallSid, '' for none: a chat, a callback; kept so an accept moves the caller without asking SQL),
-- when it arrived (ms; '' = now: a rebuild of Redis puts a contact back at its original place).
-- Returns one string (cheaper for the client than a list): '1 <state>' when the contact was queued
-- ('1 offered' or '1 waiting'), '0 <state>' when it existed already, '0 full' when the queue is full.
local cid, q, priority, timeout_ms, info = ARGV[3], ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7]
local own = decode(ARGV[8], {})
local caller, rering_ms = ARGV[9] or '', num(ARGV[10], 0)
local preferred, prefer_ms = ARGV[11] or '', num(ARGV[12], 0)
local ch = ARGV[13] == 'chat' and 'chat' or 'voice'
local call = ARGV[14] or ''
local arrived = math.min(NOW, num(ARGV[15], NOW))
local c = ckey(cid)
if redis.call('EXISTS', c) == 1 then
  -- Idempotent per provider id: a retried webhook changes nothing.
  return '0 ' .. redis.call('HGET', c, 'state')
end
queue_setting(q)  -- it needs most of the queue's settings: one HMGET
local max_length = num(queue_setting(q, 'max_length'), 0)
if max_length > 0 and redis.call('ZCARD', waiting(q, ch)) >= max_length then
  emit('contact.refused', {contact = cid, queue = q, channel = ch, reason = 'queue_full'})
  return '0 full'
end
local needs = decode(queue_setting(q, 'skills'), {})
for skill, level in pairs(own) do needs[skill] = level end
-- Aging: one priority level is worth a fixed amount of waiting, so the score (lower first) is
-- the arrival time brought forward by the head start, and nobody waits behind priority forever.
local step_ms = priority_step(q)
local score = arrived - priority * step_ms
local kept = nil
if caller ~= '' then
  local place = P .. 'rering:' .. q .. ':' .. caller
  kept = redis.call('GET', place)
  if kept then
    score = math.min(score, tonumber(kept))
    redis.call('DEL', place)
  end
end
-- What matching needs of the contact, known here without reading it back.
local rec = {queue = q, channel = ch, score = score, needs = cjson.encode(needs), own = cjson.encode(own),
  spill = '', any = '0', relax = 0, enqueued_at = arrived, info = info, queued = false,
  needs_table = needs, info_table = cjson.decode(info)}
local fields = {'id', cid, 'queue', q, 'channel', ch, 'priority', priority, 'step_ms', step_ms,
  'enqueued_at', arrived, 'score', score, 'info', info,
  'needs', rec.needs, 'own', rec.own, 'caller', caller, 'rering_ms', rering_ms, 'call', call}  -- state, agent: below
local preferred_state = preferred ~= '' and redis.call('HGET', akey(preferred), 'state') or nil
local staffed = {available = true, reserved = true, busy = true, wrap_up = true}
if preferred_state and staffed[preferred_state] and prefer_ms > 0 then
  -- The agent who last served this customer gets the first offer for a while; then anyone may.
  rec.preferred, rec.prefer_until = preferred, NOW + prefer_ms
  for _, v in ipairs({'preferred', preferred, 'prefer_until', NOW + prefer_ms}) do fields[#fields + 1] = v end
  redis.call('ZADD', RETRY, NOW + prefer_ms, cid)
end
start_in_queue(cid, q, fields, true)
redis.call('SADD', live_contacts(), cid)
emit('contact.queued', {contact = cid, queue = q, channel = ch, priority = priority, info = rec.info_table,
  place_restored = kept ~= nil})
-- Matched at once, its fields are written with the offer's and it never enters the waiting sets;
-- otherwise they are written here and it takes its place there.
rec.unwritten = fields
local agent = match_contact(cid, timeout_ms, rec)
if not agent then
  redis.call('HSET', c, 'state', 'waiting', 'agent', '', unpack(fields))
  queue_contact(cid, rec)
end
return agent and '1 offered' or '1 waiting'
