-- ARGV: prefix, now, contact, monitor (the listening user's id), mode (listen|whisper|barge; '' = they
-- left), their name, agent (joining: the agent whose call it must be), reason (leaving: why), '1' when
-- the agent is not to be shown who listens (SHOW_MONITORING=false).
-- A supervisor or QA user listens in to a live call, changes how, or leaves (agents/monitoring.py).
-- Joining needs the call to be the agent's and answered (assigned); leaving is recorded whatever became
-- of the call. The contact keeps who listens (`monitors`: JSON, user id -> {name, mode, agent}) for
-- snapshots; each change is one `contact.monitored` event, none when nothing changed.
-- Returns {'ok', mode}; leaving {'ok', ''}, or {'ok', 'none'} for someone who was not listening.
local cid, monitor, mode, name, agent, reason = ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local c = ckey(cid)
local state, holder, q, ch, raw = unpack(redis.call('HMGET', c, 'state', 'agent', 'queue', 'channel', 'monitors'))
local monitors = decode(raw, {})
local was = monitors[monitor]
local event = {contact = cid, queue = q, channel = ch or 'voice', monitor = monitor, mode = mode}
if mode ~= '' then
  if not state then return {'err', 'unknown'} end
  if ch == 'chat' then return {'err', 'not_a_call'} end
  if state ~= 'assigned' or holder ~= agent then return {'err', 'not_live'} end
  if was and was.mode == mode and was.agent == agent then return {'ok', mode} end
  monitors[monitor] = {name = name, mode = mode, agent = agent}
  event.previous_mode = was and was.mode or ''
else
  if not was then return {'ok', 'none'} end
  agent, name = was.agent, was.name
  monitors[monitor] = nil
  event.previous_mode, event.reason = was.mode, reason
end
event.agent, event.monitor_name = agent, name
-- The agent's console leaves out an event so marked (queues/stream.py); wallboards still get it.
if ARGV[9] == '1' then event.hidden_from_agent = true end
if next(monitors) == nil then
  redis.call('HDEL', c, 'monitors')
else
  redis.call('HSET', c, 'monitors', cjson.encode(monitors))
end
emit('contact.monitored', event)
return {'ok', mode}
