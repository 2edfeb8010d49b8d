-- Repairs (the reconciler, a rebuild after Redis lost its data): what is wrong with an agent's hold on
-- a contact, checked the same way by the read that finds it and by the script that frees the agent.

-- Why the agent's state holds on to nothing live ('' when all is well), and the contact it names:
-- reserved for a contact not offered to it, busy on one it is not connecting, talking or consulting
-- on, or in a voice wrap-up no timer will end.
local function stuck_reason(agent)
  local state, cid = unpack(redis.call('HMGET', akey(agent), 'state', 'contact'))
  cid = cid or ''
  if state == 'wrap_up' then
    if redis.call('ZSCORE', WRAPUPS, agent) then return '', cid end
    return 'in wrap-up that nothing will end', cid
  end
  if state ~= 'reserved' and state ~= 'busy' then return '', cid end
  if cid == '' then return state .. ' on no contact', cid end
  local cstate, holder, consulting = unpack(redis.call('HMGET', ckey(cid), 'state', 'agent', 'consult_from'))
  if not cstate then return state .. ' on contact ' .. cid .. ', which routing no longer has', cid end
  if state == 'reserved' and cstate == 'offered' and holder == agent then return '', cid end
  if state == 'busy' and holder == agent and (cstate == 'connecting' or cstate == 'assigned') then return '', cid end
  local live = {waiting = true, offered = true, connecting = true, assigned = true}
  if state == 'busy' and consulting == agent and live[cstate] then return '', cid end  -- a warm transfer
  local whose = (holder == agent or consulting == agent) and '' or ' of another agent'
  return state .. ' on contact ' .. cid .. whose .. ', which is ' .. cstate, cid
end
