-- A sorted set's member re-encrypted, with its score, if it is still there; the set's expiry is kept
-- (the new member is added before the old one goes, so the set never empties and loses it).
-- KEYS[1]: the set; ARGV[1]: the member read; ARGV[2]: the same text under the first key. Answers 1 or 0.
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score then
  return 0
end
redis.call('ZADD', KEYS[1], score, ARGV[2])
redis.call('ZREM', KEYS[1], ARGV[1])
return 1
