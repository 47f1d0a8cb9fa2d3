-- ARGV[4..]: channel, pseudonym, ids of ended tickets that may be theirs (checked again here).
local channel, pseudonym = ARGV[4], ARGV[5]
local erased = {}
local open = redis.call('GET', person_key(channel, pseudonym))
if open then
  local status = redis.call('HGET', ticket_key(open), 'status')
  if status == 'waiting' or status == 'claimed' then
    finish(open, 'erased')
    -- The ticket goes at once; its counsellor's console still learns why the chat closed.
    redis.call('SET', prefix .. 'erased:' .. open, '1', 'EX', ended_ttl)
  end
end
local candidates = {}
if open then table.insert(candidates, open) end
for i = 6, #ARGV do table.insert(candidates, ARGV[i]) end
for _, id in ipairs(candidates) do
  local key = ticket_key(id)
  local t = redis.call('HMGET', key, 'channel', 'pseudonym')
  if t[1] == channel and t[2] == pseudonym then
    redis.call('ZREM', waiting, id)
    redis.call('DEL', key)
    table.insert(erased, id)
  end
end
redis.call('DEL', person_key(channel, pseudonym))
return erased
