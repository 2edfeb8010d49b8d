-- ARGV: prefix, now, agent (user id), local_time (the login's time in the hotline's time zone, "YYYY-MM-DD HH:MM").
-- An agent logged in outside their shift (contactcenter/users/shifts.py): an event for their team lead's
-- wallboard, numbered like every other. Returns its sequence number.
return emit('agent.outside_shift', {agent = ARGV[3], local_time = ARGV[4]})
