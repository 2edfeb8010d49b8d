-- Shared by every routing script (the files in lib/ are prepended in name order: 1_base, 2_pools, 3_match, 4_release, 5_presence). Every key
-- shares the hash tag in PREFIX, so the scripts run unchanged on Redis Cluster.
-- ARGV[1] = prefix, ARGV[2] = now (ms).
local P = ARGV[1]
local NOW = tonumber(ARGV[2])

local function ckey(id) return P .. 'contact:' .. id end
local function akey(id) return P .. 'agent:' .. id end
-- The contacts live in routing (waiting, offered, connecting, assigned), a set: what the reconciler reads
-- instead of every record routing keeps (ended ones stay a day). In at enqueue; out where a contact ends.
local function live_contacts() return P .. 'live' end
local function qkey(q) return P .. 'queue:' .. q end
local function chats_of(agent) return P .. 'agent:' .. agent .. ':chats' end
-- Voice keys keep the plain names; chat keys start with "chat-".
local function chan(ch) if ch == 'chat' then return 'chat-' end return '' end
-- Contacts waiting in their own queue, by score (priority head start, then arrival).
local function waiting(q, ch) return P .. chan(ch) .. 'waiting:' .. q end
-- Contacts that overflowed to another queue's agents, or to any agent.
local function spill(q, ch) return P .. chan(ch) .. 'spill:' .. q end
local function spill_any(ch) return P .. chan(ch) .. 'spill-any' end
-- Agents free to take a contact: per queue, and all of them (for "any agent" overflow).
local function idle(q, ch) return P .. chan(ch) .. 'idle:' .. q end
local function idle_any(ch) return P .. chan(ch) .. 'idle-any' end
local LEASES = P .. 'leases'        -- offered contacts by deadline
local RETRY = P .. 'retry'          -- contacts to match again when a skip or preference lapses
local WRAPUPS = P .. 'wrapups'      -- agents by end of voice wrap-up
local CHAT_WRAPUPS = P .. 'chat-wrapups'  -- ended chats by end of their wrap-up
local STEPS = P .. 'overflow-due'   -- waiting contacts by time of their next overflow step
local MAX_WAITS = P .. 'max-wait'   -- waiting contacts by the end of their queue's maximum wait
local CONSOLES = P .. 'consoles'     -- open consoles ('agent|socket') by when their heartbeat lapses
local AWAY = P .. 'away'             -- agents without a console, by the end of their grace period
-- Without a queue setting, one priority level is worth this much waiting (aging).
local DEFAULT_STEP_MS = 120000
-- How many idle agents one match looks at before giving up (they are scanned in strategy order).
local SCAN = 50
-- An agent who passed on a contact is not offered it again for this long.
local SKIP_MS = 5000

local function split(csv)
  local out = {}
  for part in string.gmatch(csv or '', '[^,]+') do out[#out + 1] = part end
  return out
end

local function decode(json, fallback)
  if not json or json == '' then return fallback end
  return cjson.decode(json)
end

local function num(value, fallback)
  return tonumber(value or '') or fallback
end

-- Every state change goes out on the stream; the stream id's first part is the sequence.
-- `raw_field` (optional): one more field of the event whose value the caller has as JSON already.
local function emit(kind, data, raw_field, raw_json)
  local seq = redis.call('INCR', P .. 'seq')
  data.seq = seq
  data.type = kind
  data.at = NOW
  local json = cjson.encode(data)
  if raw_field then json = string.sub(json, 1, -2) .. ',"' .. raw_field .. '":' .. raw_json .. '}' end
  redis.call('XADD', P .. 'events', seq, 'e', json)  -- id seq-0 (a number is cheaper than seq .. '-0')
  -- Trimmed every 100 events, not on each (the stream keeps about the last 50,000).
  if seq % 100 == 0 then redis.call('XTRIM', P .. 'events', 'MAXLEN', '~', 50000) end
  return seq
end

-- What one script run reads once and keeps until it ends: queue settings (no script writes them),
-- agents' queues and skills (agent_state.lua forgets them when it writes them) and today's number.
-- (Few top-level locals: each one makes every script run a little slower to start.)
local read_once = {queues = {}, agents = {}}

-- A queue's settings (written by queues/config.py); defaults come from the process settings.
-- Each is read once per script run; queue_setting(q) with no field reads, in one HMGET, the ones
-- enqueue needs (most of them).
local function queue_setting(q, field)
  local settings = read_once.queues[q]
  if not settings then
    settings = {}
    read_once.queues[q] = settings
    if field == nil then
      local v = redis.call('HMGET', qkey(q), 'offer_timeout_ms', 'skills', 'strategy', 'priority_step_ms', 'overflow',
        'max_length', 'max_wait_ms')
      settings = {offer_timeout_ms = v[1], skills = v[2], strategy = v[3], priority_step_ms = v[4], overflow = v[5],
        max_length = v[6], max_wait_ms = v[7]}
      read_once.queues[q] = settings
    end
  end
  if field == nil then return nil end
  local value = settings[field]
  if value == nil then
    value = redis.call('HGET', qkey(q), field)
    settings[field] = value
  end
  return value
end

local function offer_timeout(q, default_timeout)
  return num(queue_setting(q, 'offer_timeout_ms'), default_timeout)
end

local function priority_step(q)
  return num(queue_setting(q, 'priority_step_ms'), DEFAULT_STEP_MS)
end

-- Today's counters of a queue and of an agent; `day` (e.g. 2026-11-22, in the hotline's time zone)
-- comes from the caller so every process agrees on when a day starts. Kept 40 days.
local function count(kind, id, day, field, amount)
  local key = P .. 'stats:' .. kind .. ':' .. id .. ':' .. day
  redis.call('HINCRBY', key, field, amount)
  if not read_once[key] then
    redis.call('EXPIRE', key, 40 * 86400)
    read_once[key] = true
  end
end

-- Today as a day number in the hotline's time zone (the engine stores the zone's offset).
local function day_number()
  if read_once.today == nil then
    read_once.today = math.floor((NOW + num(redis.call('GET', P .. 'tz_offset_ms'), 0)) / 86400000)
  end
  return read_once.today
end

-- A contact is answered (a chat when accepted, a call when its agent joined): the queue's service
-- level and the agent's answered count, today's figures.
local function count_answered(cid, agent, day, default_sl)
  local q, enqueued_at = unpack(redis.call('HMGET', ckey(cid), 'queue', 'enqueued_at'))
  local waited = NOW - tonumber(enqueued_at)
  count('queue', q, day, 'answered', 1)
  count('queue', q, day, 'wait_ms', waited)
  if waited <= num(queue_setting(q, 'sl_ms'), default_sl) then count('queue', q, day, 'answered_in_sl', 1) end
  count('agent', agent, day, 'answered', 1)
  local a = akey(agent)
  local today = day_number()
  local answered_day, answered_today = unpack(redis.call('HMGET', a, 'answered_day', 'answered_today'))
  if num(answered_day, -1) ~= today then answered_today = 0 end
  redis.call('HSET', a, 'missed', 0, 'answered_day', today, 'answered_today', num(answered_today, 0) + 1)
end
