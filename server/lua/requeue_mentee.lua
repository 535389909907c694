-- After a requeue to the front, try the idle mentors for this mentee at once.
-- ARGV: prefix, mentee, now, session_ms, new_session_id
-- Returns a claim or nil.
local mentee, now, session_ms, sid = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local skill = redis.call('HGET', k_mentee(mentee), 'skill')
if not skill then return nil end
for _, mentor in ipairs(redis.call('ZRANGE', k_idle(skill), 0, 499)) do
  if mentor_can_take(mentor, mentee, now, session_ms) then
    return claim(mentor, mentee, sid, now, session_ms)
  end
end
return nil
