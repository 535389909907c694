-- After a requeue to the front, try the idle mentors for this mentee at once.
-- ARGV[4..]: mentee, new_session_id. Returns a claim or nil.
local mentee, sid = ARGV[4], ARGV[5]
local skill = redis.call('HGET', k_mentee(mentee), 'skill')
if not skill then return nil end
local mentor = first_idle_mentor(skill, mentee, NOW, S.session_ms)
if mentor then return claim(mentor, mentee, sid, NOW, S.session_ms) end
return nil
