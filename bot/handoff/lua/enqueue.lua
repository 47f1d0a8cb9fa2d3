-- ARGV[4..11]: id, pseudonym, channel, locale, country, priority, topic, nickname.
local pkey = person_key(ARGV[6], ARGV[5])
local open = redis.call('GET', pkey)
if open then
  local status = redis.call('HGET', ticket_key(open), 'status')
  if status == 'waiting' or status == 'claimed' then return answer(open) end
end
local id = ARGV[4]
redis.call('HSET', ticket_key(id), 'id', id, 'pseudonym', ARGV[5], 'channel', ARGV[6], 'locale', ARGV[7],
  'country', ARGV[8], 'priority', ARGV[9], 'topic', ARGV[10], 'nickname', ARGV[11], 'created_ms', ARGV[2],
  'status', 'waiting', 'counsellor', '', 'claimed_ms', '', 'mismatch', '0')
redis.call('ZADD', waiting, score(ARGV[9], ARGV[2]), id)
redis.call('SET', pkey, id)
event('queued', id)
return answer(id)
