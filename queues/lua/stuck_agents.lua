-- ARGV: prefix, now, agent ids... Read only: the agents among them whose state holds on to nothing live
-- (lib/6_repair.lua), as {agent, contact, reason} triples in one flat list.
local out = {}
for i = 3, #ARGV do
  local reason, cid = stuck_reason(ARGV[i])
  if reason ~= '' then
    out[#out + 1] = ARGV[i]
    out[#out + 1] = cid
    out[#out + 1] = reason
  end
end
return out
