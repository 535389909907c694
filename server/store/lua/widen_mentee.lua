-- A waiting mentee accepts a wider skill it was offered: it moves to that queue with its place in
-- time (the same queue score), then takes the first ranked candidate still free to take it (for a
-- catalog skill, else the mentor idle longest there).
-- ARGV[4..]: mentee, ticket_id, skill, new_session_id, fallback, candidate mentors...
-- Returns a claim, {'queued', ticket_id, position} or {'err', code}.
local mentee, ticket, skill, sid, fallback = ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8] == '1'
local t = redis.call('HMGET', k_mentee(mentee), 'ticket_id', 'skill', 'widen_offer', 'score')
if not t[2] or t[1] ~= ticket then return {'err', 'not_waiting'} end
local offered = false
for _, slug in ipairs(split(t[3] or '')) do
  if slug == skill then offered = true end
end
if not offered then return {'err', 'not_offered'} end
redis.call('ZREM', k_queue(t[2]), mentee)
redis.call('ZADD', k_queue(skill), tonumber(t[4]), mentee)
redis.call('HSET', k_mentee(mentee), 'skill', skill, 'widened_from', t[2])
redis.call('HDEL', k_mentee(mentee), 'widen_offer')
cancel('widen', mentee)
for i = 9, #ARGV do
  if (not fallback or redis.call('ZSCORE', k_idle(skill), ARGV[i]))
      and mentor_can_take(ARGV[i], mentee, NOW, S.session_ms) then
    return claim(ARGV[i], mentee, sid, NOW, S.session_ms)
  end
end
if fallback then
  local mentor = first_idle_mentor(skill, mentee, NOW, S.session_ms)
  if mentor then return claim(mentor, mentee, sid, NOW, S.session_ms) end
end
return {'queued', ticket, redis.call('ZRANK', k_queue(skill), mentee) + 1}
