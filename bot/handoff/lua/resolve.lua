-- ARGV[4..5]: ticket id, counsellor id.
local id, cid = ARGV[4], ARGV[5]
local t = redis.call('HMGET', ticket_key(id), 'status', 'counsellor')
if t[1] ~= 'claimed' or t[2] ~= cid then return {'not_holding', t[1] or ''} end
finish(id, 'resolved')
return answer(id)
