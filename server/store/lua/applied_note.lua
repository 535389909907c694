-- The mentee answers "How did you apply it?" (or skips it) for a drop-in call that ran, once.
-- ARGV[4..]: sid, user, note ('' with skip), skip ('1' or '0').
-- Returns {'ok'} or {'err', code}: not_in_session (not the mentee, or unknown), not_applicable
-- (an event call, or a call that never started), session_live, already_answered.
local sid, user, note, skip = ARGV[4], ARGV[5], ARGV[6], ARGV[7] == '1'
local key = k_session(sid)
local s = redis.call('HMGET', key, 'mentee', 'state', 'started_at', 'event_id', 'applied_at', 'applied_skipped')
if s[1] ~= user then return {'err', 'not_in_session'} end
if s[2] ~= 'ended' then return {'err', 'session_live'} end
if not s[3] or (s[4] and s[4] ~= '') then return {'err', 'not_applicable'} end
if s[5] or s[6] then return {'err', 'already_answered'} end
if skip then
  redis.call('HSET', key, 'applied_skipped', NOW)
else
  redis.call('HSET', key, 'applied_note', note, 'applied_at', NOW)
end
retain_session(sid)
return {'ok'}
