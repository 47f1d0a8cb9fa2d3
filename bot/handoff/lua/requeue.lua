-- ARGV[4..5]: ticket id, counsellor id.
local id, cid = ARGV[4], ARGV[5]
local key = ticket_key(id)
local t = redis.call('HMGET', key, 'status', 'counsellor', 'priority', 'created_ms')
if t[1] ~= 'claimed' or t[2] ~= cid then return {'not_holding', t[1] or ''} end
redis.call('SREM', active_key(cid), id)
redis.call('HSET', key, 'status', 'waiting', 'counsellor', '', 'claimed_ms', '', 'mismatch', '0')
redis.call('ZADD', waiting, score(t[3], t[4]), id)
event('requeued', id)
return answer(id)
