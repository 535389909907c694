-- Replace the first `count` changes of a call's notes with their merge (computed by the caller
-- from exactly those entries, which took `removed` bytes). Changes are only ever appended, so the
-- first `count` entries are still those unless another node compacted meanwhile, which the
-- generation tells. The session's notes_bytes follows what the list now holds.
-- ARGV[4..]: sid, generation the caller read, count, merged update (base64), removed
-- Returns 1 when compacted, 0 when the notes changed under the caller (nothing done).
local sid, gen, count, merged, removed = ARGV[4], ARGV[5], tonumber(ARGV[6]), ARGV[7], tonumber(ARGV[8])
local key = k_notes(sid)
if (redis.call('HGET', k_session(sid), 'notes_gen') or '') ~= gen then return 0 end
if redis.call('LLEN', key) < count then return 0 end
redis.call('LTRIM', key, count, -1)
redis.call('LPUSH', key, merged)  -- a fresh key when the trim emptied it: set its retention
redis.call('EXPIRE', key, S.history_ttl_s)
redis.call('HINCRBY', k_session(sid), 'notes_gen', 1)
-- (a session from before notes_bytes was kept would go below zero: count from the merge then)
if redis.call('HINCRBY', k_session(sid), 'notes_bytes', #merged - removed) < #merged then
  redis.call('HSET', k_session(sid), 'notes_bytes', #merged)
end
return 1
