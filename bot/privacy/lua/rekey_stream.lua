-- A stream's tokens re-encrypted in place. A stream entry cannot be changed, so the stream is rebuilt in
-- this one atomic step: the same entries with the same ids in the same order (readers that follow it by id
-- go on where they were), the same last id, its consumer groups with their consumers and pending entries
-- (who holds each, for how long, how many deliveries), and its expiry.
-- KEYS[1]: the stream; ARGV[1]: the field holding the token; then triples (entry id, token read, new token).
-- An entry whose token is no longer the one read (or that is gone) keeps what it has. Answers how many were
-- replaced (0: nothing was rebuilt).
local key, field = KEYS[1], ARGV[1]
local wanted = {}
for i = 2, #ARGV, 3 do
  wanted[ARGV[i]] = { ARGV[i + 1], ARGV[i + 2] }
end

local function as_map(flat)
  local map = {}
  for i = 1, #flat, 2 do
    map[flat[i]] = flat[i + 1]
  end
  return map
end

if redis.call('EXISTS', key) == 0 then
  return 0
end
local entries = redis.call('XRANGE', key, '-', '+')
local replaced = 0
for _, entry in ipairs(entries) do
  local swap = wanted[entry[1]]
  if swap then
    local fields = entry[2]
    for i = 1, #fields, 2 do
      if fields[i] == field and fields[i + 1] == swap[1] then
        fields[i + 1] = swap[2]
        replaced = replaced + 1
      end
    end
  end
end
if replaced == 0 then
  return 0
end

local stream = as_map(redis.call('XINFO', 'STREAM', key))
local groups = {}
for _, raw in ipairs(redis.call('XINFO', 'GROUPS', key)) do
  local group = as_map(raw)
  group.members = {}
  for _, consumer in ipairs(redis.call('XINFO', 'CONSUMERS', key, group['name'])) do
    table.insert(group.members, as_map(consumer)['name'])
  end
  group.held = {}
  if group['pending'] > 0 then
    group.held = redis.call('XPENDING', key, group['name'], '-', '+', group['pending'])
  end
  table.insert(groups, group)
end
local ttl = redis.call('PTTL', key)

redis.call('DEL', key)
for _, entry in ipairs(entries) do
  redis.call('XADD', key, entry[1], unpack(entry[2]))
end
if stream['entries-added'] then -- Redis 7 counts entries too
  redis.call('XSETID', key, stream['last-generated-id'], 'ENTRIESADDED', stream['entries-added'],
    'MAXDELETEDID', stream['max-deleted-entry-id'])
else
  redis.call('XSETID', key, stream['last-generated-id'])
end
for _, group in ipairs(groups) do
  if group['entries-read'] then
    redis.call('XGROUP', 'CREATE', key, group['name'], group['last-delivered-id'], 'ENTRIESREAD',
      group['entries-read'])
  else
    redis.call('XGROUP', 'CREATE', key, group['name'], group['last-delivered-id'])
  end
  for _, member in ipairs(group.members) do
    redis.call('XGROUP', 'CREATECONSUMER', key, group['name'], member)
  end
  for _, held in ipairs(group.held) do -- { id, consumer, idle ms, deliveries }
    redis.call('XCLAIM', key, group['name'], held[2], 0, held[1], 'IDLE', held[3], 'RETRYCOUNT', held[4],
      'FORCE', 'JUSTID')
  end
end
if ttl > 0 then
  redis.call('PEXPIRE', key, ttl)
end
return replaced
