-- ARGV: prefix, now, agent, state (not_ready), reason, queues csv, skills json, chat capacity, voice blocks
-- chat (1|0), previous state, previous reason, console grace ms.
-- A rebuild after Redis lost its data (contactcenter/reconcile/rebuild_live.py): an agent routing has no
-- record of comes back with its queues and skills, in the given state; `previous` is the state SQL last
-- recorded the agent choosing, told in the event and kept for the console to offer back (as after a
-- disconnect). Its consoles were lost with the rest: it is away (lib/5_presence.lua) until one is heard
-- from, as every open console is within seconds; with none back within the grace, it is not ready
-- `disconnected` (after its call, if it has one). An agent routing knows already is left as it is.
-- Returns the agent's state.
local agent, state, reason, queues = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local previous, previous_reason = ARGV[10] or '', ARGV[11] or ''
local current = redis.call('HGET', akey(agent), 'state')
if current then return current end
for _, q in ipairs(split(queues)) do redis.call('SADD', P .. 'members:' .. q, agent) end
set_agent(agent, state, reason, {'id', agent, 'queues', queues, 'skills', ARGV[7], 'chat_cap', ARGV[8],
  'voice_blocks_chat', ARGV[9], 'missed', 0, 'pending_not_ready', '', 'contact', '', 'prev_state', previous,
  'prev_reason', previous_reason}, previous ~= '' and {previous, previous_reason} or nil)
went_away(agent, num(ARGV[12], 30000))
return state
