-- ARGV[4..8]: ticket id, from channel, from pseudonym, to channel, to pseudonym. The person continues their
-- open ticket on another channel (a resume code): same ticket, same place in the queue, same counsellor.
local id = ARGV[4]
local key = ticket_key(id)
local t = redis.call('HMGET', key, 'status', 'channel', 'pseudonym')
if (t[1] ~= 'waiting' and t[1] ~= 'claimed') or t[2] ~= ARGV[5] or t[3] ~= ARGV[6] then
  return refuse('gone')
end
local to_key = person_key(ARGV[7], ARGV[8])
local held = redis.call('GET', to_key)
if held and held ~= id then
  local status = redis.call('HGET', ticket_key(held), 'status')
  if status == 'waiting' or status == 'claimed' then return refuse('taken') end
end
redis.call('HSET', key, 'channel', ARGV[7], 'pseudonym', ARGV[8])
local from_key = person_key(ARGV[5], ARGV[6])
if redis.call('GET', from_key) == id then redis.call('DEL', from_key) end
redis.call('SET', to_key, id)
event('moved', id)
return answer(id)
