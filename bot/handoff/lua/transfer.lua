-- ARGV[4..]: ticket id, from counsellor, to counsellor, to capacity, to languages.
local id, from, to = ARGV[4], ARGV[5], ARGV[6]
local key = ticket_key(id)
local t = redis.call('HMGET', key, 'status', 'counsellor', 'locale')
if t[1] ~= 'claimed' or t[2] ~= from then return {'not_holding', t[1] or ''} end
local to_active = active_key(to)
if redis.call('SCARD', to_active) >= tonumber(ARGV[7]) then return refuse('at_capacity') end
local mismatch = '1'
for i = 8, #ARGV do if ARGV[i] == t[3] then mismatch = '0' end end
redis.call('SREM', active_key(from), id)
redis.call('SADD', to_active, id)
redis.call('HSET', key, 'counsellor', to, 'claimed_ms', ARGV[2], 'mismatch', mismatch)
event('transferred', id)
return answer(id)
