-- ARGV[4..]: counsellor id, capacity, mismatch_after_ms, wanted ticket id ('' = the next eligible), languages.
local cid, capacity, patience, wanted = ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7]
local active = active_key(cid)
local speaks = {}
for i = 8, #ARGV do speaks[ARGV[i]] = true end
-- The mismatch flag if this counsellor may take the ticket now, nil if it must wait for a speaker.
local function fit(id)
  local t = redis.call('HMGET', ticket_key(id), 'locale', 'created_ms')
  if speaks[t[1]] then return '0' end
  if now - tonumber(t[2]) >= patience then return '1' end
  return nil
end
local function take(id, mismatch)
  local key = ticket_key(id)
  redis.call('ZREM', waiting, id)
  redis.call('HSET', key, 'status', 'claimed', 'counsellor', cid, 'claimed_ms', ARGV[2], 'mismatch', mismatch)
  redis.call('SADD', active, id)
  local t = redis.call('HMGET', key, 'channel', 'pseudonym')
  redis.call('SET', person_key(t[1], t[2]), id)
  event('claimed', id)
  return answer(id)
end
if wanted ~= '' then
  local status = redis.call('HGET', ticket_key(wanted), 'status')
  if status == 'claimed' then return refuse('taken') end
  if status ~= 'waiting' then return refuse('gone') end
  local mismatch = fit(wanted)
  if not mismatch then return refuse('language') end
  if redis.call('SCARD', active) >= capacity then return refuse('at_capacity') end
  return take(wanted, mismatch)
end
if redis.call('SCARD', active) >= capacity then return refuse('at_capacity') end
-- In small batches: usually the first waiting ticket fits, so reading the whole order would be waste.
local start, batch = 0, 20
while true do
  local ids = redis.call('ZRANGE', waiting, start, start + batch - 1)
  if #ids == 0 then return {'none'} end
  for _, id in ipairs(ids) do
    local mismatch = fit(id)
    if mismatch then return take(id, mismatch) end
  end
  start = start + batch
end
