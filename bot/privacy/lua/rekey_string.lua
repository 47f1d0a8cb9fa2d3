-- A string's token re-encrypted, if it is still the token that was read; its expiry is kept.
-- KEYS[1]: the key; ARGV[1]: the token read; ARGV[2]: the same text under the first key. Answers 1 or 0.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
return 1
