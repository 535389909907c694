-- A change to a call's shared notes (a Yjs update), kept in order with the session: only its two
-- people, only while it is matched or live. With seed = '1' it is the notes' first content and is
-- kept only if there is none yet (two nodes may seed at once; one wins).
-- ARGV[4..]: sid, user, update (base64), seed
-- Returns {'ok', count, mentee, mentor} | {'seeded', 0 | 1} | {'err', 'not_in_session'} | {'err', 'notes_full'}
local sid, user, update, seed = ARGV[4], ARGV[5], ARGV[6], ARGV[7] == '1'
local s = redis.call('HMGET', k_session(sid), 'state', 'mentor', 'mentee', 'notes_gen')
if not s[1] or (user ~= s[2] and user ~= s[3]) then return {'err', 'not_in_session'} end
local key = k_notes(sid)
if seed then
  if redis.call('EXISTS', key) == 1 or s[4] then return {'seeded', 0} end
  redis.call('RPUSH', key, update)
  redis.call('EXPIRE', key, S.history_ttl_s)  -- kept as long as the session's record
  redis.call('HSET', k_session(sid), 'notes_gen', 0)
  return {'seeded', 1}
end
if s[1] ~= 'matched' and s[1] ~= 'live' then return {'err', 'not_in_session'} end
local count = redis.call('LLEN', key)
if count >= S.notes_max then return {'err', 'notes_full'} end
count = redis.call('RPUSH', key, update)
redis.call('EXPIRE', key, S.history_ttl_s)
return {'ok', count, s[3], s[2]}
