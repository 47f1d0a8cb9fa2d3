-- ARGV[4..5]: channel, pseudonym.
local pkey = person_key(ARGV[4], ARGV[5])
local id = redis.call('GET', pkey)
if not id then return {'none'} end
local status = redis.call('HGET', ticket_key(id), 'status')
if status ~= 'waiting' and status ~= 'claimed' then
  redis.call('DEL', pkey)
  return {'none'}
end
finish(id, 'cancelled')
return answer(id)
