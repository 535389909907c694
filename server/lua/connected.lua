-- A participant reports media flowing. When both have (or force=1: the grace ran out after one
-- did), the countdown starts, with its end and warning deadlines, in this same step.
-- ARGV[4..]: sid, user ('' with force), force
-- Returns {'started', started_at, ends_at} | {'waiting'} | {'live', started_at, ends_at}
--       | {'err', code}
local sid, user, force = ARGV[4], ARGV[5], ARGV[6]
local key = k_session(sid)
local s = redis.call('HMGET', key, 'state', 'mentor', 'mentee', 'duration_ms', 'started_at', 'ends_at',
  'mentor_connected', 'mentee_connected')
if not s[1] then return {'err', 'not_found'} end
if user ~= '' then
  if user == s[2] then redis.call('HSET', key, 'mentor_connected', 1); s[7] = '1'
  elseif user == s[3] then redis.call('HSET', key, 'mentee_connected', 1); s[8] = '1'
  else return {'err', 'not_in_session'} end
end
if s[1] == 'live' then return {'live', s[5], s[6]} end
if s[1] ~= 'matched' then return {'err', 'session_over'} end
local both = s[7] == '1' and s[8] == '1'
local one = s[7] == '1' or s[8] == '1'
if both or (force == '1' and one) then
  local ends_at = NOW + tonumber(s[4])
  redis.call('HSET', key, 'state', 'live', 'started_at', NOW, 'ends_at', ends_at)
  cancel('connect', sid)
  schedule_call(sid, NOW, ends_at)
  return {'started', NOW, ends_at}
end
return {'waiting'}
