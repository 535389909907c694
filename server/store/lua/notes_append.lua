-- A change to a call's shared notes (a Yjs update), kept in order with the session: only its two
-- people, only while it is matched or live. With seed = '1' it is the notes' first content and is
-- kept only if there is none yet (two nodes may seed at once; one wins). The session's
-- notes_bytes is what the list holds (as stored, base64); a change that would take it past
-- S.notes_max_bytes is refused, so no flood stores more.
-- ARGV[4..]: sid, user, update (base64), seed
-- Returns {'ok', count, mentee, mentor} | {'seeded', 0 | 1} | {'err', 'not_in_session'}
--       | {'err', 'notes_full'} | {'err', 'notes_too_large'}
local sid, user, update, seed = ARGV[4], ARGV[5], ARGV[6], ARGV[7] == '1'
local s = redis.call('HMGET', k_session(sid), 'state', 'mentor', 'mentee', 'notes_gen', 'notes_bytes')
if not s[1] or (user ~= s[2] and user ~= s[3]) then return {'err', 'not_in_session'} end
local key = k_notes(sid)
if seed then
  if redis.call('EXISTS', key) == 1 or s[4] then return {'seeded', 0} end
  redis.call('RPUSH', key, update)
  redis.call('EXPIRE', key, S.history_ttl_s)  -- kept as long as the session's record
  redis.call('HSET', k_session(sid), 'notes_gen', 0, 'notes_bytes', #update)
  return {'seeded', 1}
end
if s[1] ~= 'matched' and s[1] ~= 'live' then return {'err', 'not_in_session'} end
local count = redis.call('LLEN', key)
if count >= S.notes_max then return {'err', 'notes_full'} end
if (tonumber(s[5]) or 0) + #update > S.notes_max_bytes then return {'err', 'notes_too_large'} end
count = redis.call('RPUSH', key, update)
redis.call('EXPIRE', key, S.history_ttl_s)
redis.call('HINCRBY', k_session(sid), 'notes_bytes', #update)
return {'ok', count, s[3], s[2]}
