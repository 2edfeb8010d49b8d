-- ARGV: prefix, now, contact id, agent, channel (voice|chat), queue, priority, info json, skills json (the
-- contact's own), the caller's call ('' for a chat or a callback), arrived ms, answered ms.
-- A rebuild after Redis lost its data (contactcenter/reconcile/rebuild_live.py): a contact SQL has with an
-- agent (a call Twilio says is live, a chat not ended) is the agent's again, as its accept and join left
-- it: answered (`assigned`), a call making its agent busy on it, a chat taking one of the agent's slots.
-- Its end then goes as any other (finish.lua: ended, the agent to wrap-up). The agent's record must be
-- back first (restore_agent.lua). A contact routing has already is left as it is.
-- Returns {'ok', state} or an error: unknown_agent, agent_busy (on another call).
local cid, agent, q = ARGV[3], ARGV[4], ARGV[6]
local ch = ARGV[5] == 'chat' and 'chat' or 'voice'
local priority, info, own = tonumber(ARGV[7]), ARGV[8], decode(ARGV[9], {})
local arrived = math.min(NOW, num(ARGV[11], NOW))
local answered = math.min(NOW, num(ARGV[12], NOW))
local c = ckey(cid)
if redis.call('EXISTS', c) == 1 then return {'ok', redis.call('HGET', c, 'state')} end
local state, holding = unpack(redis.call('HMGET', akey(agent), 'state', 'contact'))
if not state then return {'err', 'unknown_agent'} end
if ch == 'voice' and holding and holding ~= '' then return {'err', 'agent_busy'} end
local needs = decode(queue_setting(q, 'skills'), {})
for skill, level in pairs(own) do needs[skill] = level end
local step_ms = priority_step(q)
redis.call('HSET', c, 'id', cid, 'queue', q, 'channel', ch, 'priority', priority, 'step_ms', step_ms,
  'enqueued_at', arrived, 'queued_at', arrived, 'score', arrived - priority * step_ms, 'info', info,
  'needs', cjson.encode(needs), 'own', cjson.encode(own), 'caller', '', 'rering_ms', 0, 'call', ARGV[10] or '',
  'step', 0, 'relax', 0, 'spill', '', 'any', '0',
  'state', 'assigned', 'agent', agent, 'deadline', '', 'accepted_at', answered, 'answered_at', answered)
redis.call('SADD', live_contacts(), cid)
emit('contact.restored', {contact = cid, agent = agent, queue = q, channel = ch, answered_at = answered})
if ch == 'chat' then
  redis.call('SADD', chats_of(agent), cid)
  chat_load_changed(agent)
else
  leave_idle(agent)
  set_agent(agent, 'busy', '', {'contact', cid, 'wrapup_until', ''})
end
return {'ok', 'assigned'}
