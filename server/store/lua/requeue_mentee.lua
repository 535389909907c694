-- After a requeue to the front, try the mentors for this mentee at once: the ranked candidates
-- first (an open question's fitting mentors), then, in a catalog skill, the mentor idle longest.
-- ARGV[4..]: mentee, new_session_id, candidate mentors... Returns a claim or nil.
local mentee, sid = ARGV[4], ARGV[5]
local skill = redis.call('HGET', k_mentee(mentee), 'skill')
if not skill then return nil end
for i = 6, #ARGV do
  if mentor_can_take(ARGV[i], mentee, NOW, S.session_ms) then
    return claim(ARGV[i], mentee, sid, NOW, S.session_ms)
  end
end
if skill == S.open_skill then return nil end
local mentor = first_idle_mentor(skill, mentee, NOW, S.session_ms)
if mentor then return claim(mentor, mentee, sid, NOW, S.session_ms) end
return nil
