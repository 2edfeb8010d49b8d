-- ARGV: prefix, now, agent, the contact it was found stuck on, offer timeout ms.
-- The reconciler frees an agent whose state holds on to nothing live (lib/6_repair.lua), checked again
-- here: an agent that moved on meanwhile is left alone. Freed, it is available again (or not ready
-- when that was pending), as at the end of a wrap-up. Returns its new state, or '' if nothing was done.
local agent, cid, timeout_ms = ARGV[3], ARGV[4], tonumber(ARGV[5])
local reason, held = stuck_reason(agent)
if reason == '' or held ~= cid then return '' end
make_available(agent, timeout_ms)
return redis.call('HGET', akey(agent), 'state')
