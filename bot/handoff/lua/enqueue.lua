-- ARGV[4..13]: id, pseudonym, channel, locale, country, priority, topic, nickname, source ('' = none), and
-- how many open tickets one source may hold.
local pkey = person_key(ARGV[6], ARGV[5])
local open = redis.call('GET', pkey)
if open then
  local status = redis.call('HGET', ticket_key(open), 'status')
  if status == 'waiting' or status == 'claimed' then return answer(open) end
end
local id, source, per_source = ARGV[4], ARGV[12], tonumber(ARGV[13])
if source ~= '' then
  -- Counted from the tickets still open, so a count can never drift above what the source holds.
  local skey = source_key(source)
  for _, held in ipairs(redis.call('SMEMBERS', skey)) do
    local status = redis.call('HGET', ticket_key(held), 'status')
    if status ~= 'waiting' and status ~= 'claimed' then redis.call('SREM', skey, held) end
  end
  if redis.call('SCARD', skey) >= per_source then return refuse('source_full') end
  redis.call('SADD', skey, id)
  redis.call('EXPIRE', skey, ended_ttl)
end
redis.call('HSET', ticket_key(id), 'id', id, 'pseudonym', ARGV[5], 'channel', ARGV[6], 'locale', ARGV[7],
  'country', ARGV[8], 'priority', ARGV[9], 'topic', ARGV[10], 'nickname', ARGV[11], 'created_ms', ARGV[2],
  'status', 'waiting', 'counsellor', '', 'claimed_ms', '', 'mismatch', '0', 'source', source)
redis.call('ZADD', waiting, score(ARGV[9], ARGV[2]), id)
redis.call('SET', pkey, id)
event('queued', id)
return answer(id)
