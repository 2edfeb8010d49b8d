-- ARGV: prefix, now, contact ids.
-- Drops from the live set (lib/1_base.lua, live_contacts) each contact whose record is gone or no longer
-- live: the reconciler's correction of a set that missed an end. Checked here, not by the caller, so a
-- contact enqueued meanwhile stays. Returns how many were dropped.
local live = {waiting = true, offered = true, connecting = true, assigned = true}
local dropped = 0
for i = 3, #ARGV do
  if not live[redis.call('HGET', ckey(ARGV[i]), 'state') or ''] then
    dropped = dropped + redis.call('SREM', live_contacts(), ARGV[i])
  end
end
return dropped
