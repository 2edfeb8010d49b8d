-- ARGV: prefix, now, contact id, agent (who has it now), target queue ('' = same), target agent ('' = none),
-- offer timeout ms, default wrap-up ms, the transfer's context as JSON (who, note; '' = none).
-- The contact goes back to waiting — in the target queue, with its original arrival time — or is
-- offered straight to the target agent; the transferring agent goes to wrap-up (a chat's slot is freed).
local cid, agent, target_q, target_agent = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local timeout_ms, default_wrapup, context = tonumber(ARGV[7]), tonumber(ARGV[8]), ARGV[9] or ''
-- The receiving agent's offer carries the context (the latest transfer's: a later one replaces it).
local c = ckey(cid)
local state, holder, from, ch, priority, consulting = unpack(redis.call('HMGET', c,
  'state', 'agent', 'queue', 'channel', 'priority', 'consult_from'))
if state ~= 'assigned' or holder ~= agent then return {'err', 'not_yours'} end
if consulting and consulting ~= '' then return {'err', 'consulting'} end
if target_agent ~= '' then
  local ok
  if ch == 'chat' then
    ok = chat_room(target_agent)
  else  -- free, and with a console open (an agent that is away takes no new work)
    local target_state, away = unpack(redis.call('HMGET', akey(target_agent), 'state', 'away'))
    ok = target_state == 'available' and away ~= '1'
  end
  if not ok then return {'err', 'agent_unavailable'} end
end
local q = target_q ~= '' and target_q or from
move_to_queue(cid, q, tonumber(priority))
redis.call('HSET', c, 'state', 'waiting', 'agent', '', 'answered_at', '', 'on_hold', '')
if context ~= '' then
  local info = decode(redis.call('HGET', c, 'info'), {})
  info.transfer = cjson.decode(context)
  redis.call('HSET', c, 'info', cjson.encode(info))
end
skip_for_a_while(cid, agent)  -- not straight back to the agent who handed it on
start_in_queue(cid)
queue_contact(cid)
emit('contact.transferred', {contact = cid, agent = agent, from_queue = from, queue = q, channel = ch,
  to_agent = target_agent})
if ch == 'chat' then
  redis.call('SREM', chats_of(agent), cid)
  chat_load_changed(agent)
else
  local until_ms = NOW + num(queue_setting(from, 'wrapup_ms'), default_wrapup)
  redis.call('HSET', akey(agent), 'wrapup_until', until_ms)
  redis.call('ZADD', WRAPUPS, until_ms, agent)
  set_agent(agent, 'wrap_up', 'transferred')
end
if target_agent ~= '' then
  offer(cid, target_agent, timeout_ms, {rule = 'transferred to this agent by agent ' .. agent, passed_over = {}})
else
  match_contact(cid, timeout_ms)
end
if ch == 'chat' then fill_chats(agent, timeout_ms) end
return {'ok', redis.call('HGET', c, 'state')}
