-- Store one rating per rater per session, only by a participant, only inside the rating window.
-- A mentee's stars feed the mentor's reputation, overall and in the call's skill, only when the
-- call's media connected (both sides sent session:connected: media_at is set), so throwaway
-- guests who match and hang up at once cannot move it; such a rating is still stored.
-- ARGV[4..]: sid, rater, rating_json, stars
-- Returns {'ok', role, event_id ('' for a drop-in call), mentor, counted (1 | 0)} or {'err', code}.
local sid, rater, rating, stars = ARGV[4], ARGV[5], ARGV[6], tonumber(ARGV[7])
local s = redis.call('HMGET', k_session(sid), 'state', 'mentor', 'mentee', 'rate_until', 'event_id', 'skill',
  'media_at')
local role
if rater == s[2] then role = 'mentor' elseif rater == s[3] then role = 'mentee' else return {'err', 'not_in_session'} end
if s[1] ~= 'ended' then return {'err', 'session_live'} end
if NOW > tonumber(s[4]) then return {'err', 'rating_closed'} end
if redis.call('HSETNX', P .. 'ratings:' .. sid, rater, rating) == 0 then return {'err', 'already_rated'} end
retain_session(sid)
local counted = 0
if role == 'mentee' and s[7] then
  counted = 1
  for _, key in ipairs({P .. 'reputation:' .. s[2], P .. 'reputation:*all*'}) do
    redis.call('HINCRBY', key, 'count', 1)
    redis.call('HINCRBY', key, 'sum', stars)
  end
  -- Reputation per skill: great at career questions is not great at Python.
  if s[6] then
    local rep = P .. 'skillrep:' .. s[2]
    redis.call('HINCRBY', rep, s[6] .. ':count', 1)
    redis.call('HINCRBY', rep, s[6] .. ':sum', stars)
    retain_user(s[2])
  end
end
return {'ok', role, s[5] or '', s[2], counted}
