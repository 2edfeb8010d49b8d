-- ARGV: prefix, now, text, by (user id), by_name, queues (a JSON array of queue names, may be empty).
-- A supervisor's announcement: one event for every console and wallboard (`broadcast`), numbered
-- like every other so the sequence stays gapless. Returns its sequence number.
return emit('announcement', {text = ARGV[3], by = ARGV[4], by_name = ARGV[5], broadcast = true}, 'queues', ARGV[6])
