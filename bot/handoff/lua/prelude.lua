-- Shared by every script. ARGV[1..3] are always prefix, now_ms, ended_ttl_s; a script's own arguments follow.
local prefix = ARGV[1]
local now = tonumber(ARGV[2])
local ended_ttl = tonumber(ARGV[3])
local waiting = prefix .. 'waiting'
local function ticket_key(id) return prefix .. 'ticket:' .. id end
local function active_key(cid) return prefix .. 'counsellor:' .. cid .. ':active' end
local function person_key(channel, pseudonym) return prefix .. 'person:' .. channel .. ':' .. pseudonym end
-- The open tickets of one source (a keyed hash of a web chat address), so one client cannot fill the queue.
local function source_key(source) return prefix .. 'source:' .. source end
local function score(priority, created_ms)
  local rank = 1
  if priority == 'urgent' then rank = 0 end
  return string.format('%.0f', rank * 1e13 + tonumber(created_ms))
end
-- The console's live view follows this stream; about the last 10,000 changes are plenty to catch up.
local function event(kind, id)
  redis.call('XADD', prefix .. 'events', 'MAXLEN', '~', 10000, '*',
    'type', kind, 'ticket', id, 'at_ms', ARGV[2])
end
-- The ticket as one JSON string: far cheaper for the client to read than a 26-item array.
local function answer(id)
  local flat, ticket = redis.call('HGETALL', ticket_key(id)), {}
  for i = 1, #flat, 2 do ticket[flat[i]] = flat[i + 1] end
  return {'ok', cjson.encode(ticket)}
end
local function refuse(reason) return {'refused', reason} end
-- Ends an open ticket: out of the waiting order and the counsellor's hands, and the person may ask again.
local function finish(id, status)
  local key = ticket_key(id)
  local t = redis.call('HMGET', key, 'channel', 'pseudonym', 'counsellor', 'source')
  redis.call('ZREM', waiting, id)
  if t[3] and t[3] ~= '' then redis.call('SREM', active_key(t[3]), id) end
  -- The source's count goes down, and an ended ticket keeps no trace of where it came from.
  if t[4] and t[4] ~= '' then redis.call('SREM', source_key(t[4]), id) end
  redis.call('HDEL', key, 'source')
  local pkey = person_key(t[1], t[2])
  if redis.call('GET', pkey) == id then redis.call('DEL', pkey) end
  redis.call('HSET', key, 'status', status)
  redis.call('EXPIRE', key, ended_ttl)
  event(status, id)
end
