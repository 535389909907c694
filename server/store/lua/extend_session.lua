-- One person asks for more time in a live drop-in call. The first ask is recorded; the second
-- agrees, the shorter ask wins, and the end moves, with its end and warning deadlines, in this
-- same step. Every ask is checked against what refuses an extension, so the first asker already
-- hears why not.
-- ARGV[4..]: sid, user, minutes
-- Returns {'requested', minutes} | {'agreed', started_at, ends_at, added_ms}
--       | {'refused', 'event' | 'not_live' | 'limit' | 'burst' | 'waiting'} | {'err', 'not_in_session'}
local sid, user, minutes = ARGV[4], ARGV[5], tonumber(ARGV[6])
local key = k_session(sid)
local s = redis.call('HMGET', key, 'state', 'mentor', 'mentee', 'event_id', 'started_at', 'ends_at',
  'extensions', 'extend_mentor', 'extend_mentee', 'extended_ms')
if not s[1] or (user ~= s[2] and user ~= s[3]) then return {'err', 'not_in_session'} end
if s[4] and s[4] ~= '' then return {'refused', 'event'} end
local ends_at = tonumber(s[6])
if s[1] ~= 'live' or not ends_at or ends_at <= NOW then return {'refused', 'not_live'} end
local extensions = tonumber(s[7]) or 0
if extensions >= S.max_extensions then return {'refused', 'limit'} end
local role = user == s[2] and 'mentor' or 'mentee'
local other = tonumber(role == 'mentor' and s[9] or s[8])
local want = other and math.min(other, minutes) or minutes
local new_end = ends_at + want * 60000
local m = redis.call('HMGET', k_mentor(s[2]), 'burst_ends_at', 'skills', 'burst')
if new_end > (tonumber(m[1]) or 0) then return {'refused', 'burst'} end
for _, skill in ipairs(split(m[2])) do
  if redis.call('ZCARD', k_queue(skill)) > 0 then return {'refused', 'waiting'} end
end
-- A personal request counts only if it really waits for this mentor: someone other than the
-- mentee in this call, with a live ticket for this mentor's queue, whom the mentor could take
-- (not a blocked pair, not declined in this burst). A request the mentor can never take must
-- not hold every call of theirs to its first end.
local personal = direct_queue(s[2])
for _, asker in ipairs(redis.call('ZRANGE', k_queue(personal), 0, 49)) do
  if asker ~= s[3] and redis.call('HGET', k_mentee(asker), 'skill') == personal
      and redis.call('SISMEMBER', k_blocked(s[2]), asker) == 0
      and redis.call('SISMEMBER', k_declined(s[2], m[3] or ''), asker) == 0 then
    return {'refused', 'waiting'}
  end
end
if not other then
  redis.call('HSET', key, 'extend_' .. role, minutes)
  return {'requested', minutes}
end
local added = want * 60000
redis.call('HSET', key, 'ends_at', new_end, 'extensions', extensions + 1,
  'extended_ms', (tonumber(s[10]) or 0) + added)
redis.call('HDEL', key, 'extend_mentor', 'extend_mentee')
schedule_call(sid, tonumber(s[5]), new_end)
return {'agreed', s[5], new_end, added}
