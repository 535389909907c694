-- A participant reports media flowing. When both have (or force=1: the grace ran out after one
-- did), the countdown starts, with its end and warning deadlines, in this same step. The first
-- moment both sides have media is kept as media_at (event calls start live, so their started_at
-- says nothing about media; the host console reads media_at and the two flags).
-- ARGV[4..]: sid, user ('' with force), force
-- Returns {'started', started_at, ends_at} | {'waiting'}
--       | {'live', started_at, ends_at, event_id, newly} (newly=1: this report set a flag)
--       | {'err', code}
local sid, user, force = ARGV[4], ARGV[5], ARGV[6]
local key = k_session(sid)
local s = redis.call('HMGET', key, 'state', 'mentor', 'mentee', 'duration_ms', 'started_at', 'ends_at',
  'mentor_connected', 'mentee_connected', 'media_at', 'event_id')
if not s[1] then return {'err', 'not_found'} end
-- An ended call (or one whose time is up, its end not yet fired) takes no report: a flag set now
-- would count media that never flowed in it.
if (s[1] ~= 'live' and s[1] ~= 'matched') or (s[1] == 'live' and (tonumber(s[6]) or math.huge) <= NOW) then
  return {'err', 'session_over'}
end
local newly = 0
if user ~= '' then
  local field
  if user == s[2] then field = 7 elseif user == s[3] then field = 8 else return {'err', 'not_in_session'} end
  if s[field] ~= '1' then newly = 1 end
  redis.call('HSET', key, field == 7 and 'mentor_connected' or 'mentee_connected', 1)
  s[field] = '1'
end
local both = s[7] == '1' and s[8] == '1'
if both and not s[9] then redis.call('HSET', key, 'media_at', NOW) end
if s[1] == 'live' then return {'live', s[5], s[6], s[10] or '', newly} end
local one = s[7] == '1' or s[8] == '1'
if both or (force == '1' and one) then
  local ends_at = NOW + tonumber(s[4])
  redis.call('HSET', key, 'state', 'live', 'started_at', NOW, 'ends_at', ends_at)
  cancel('connect', sid)
  schedule_call(sid, NOW, ends_at)
  return {'started', NOW, ends_at}
end
return {'waiting'}
