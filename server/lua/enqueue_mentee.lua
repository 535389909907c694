-- A mentee asks for help: match it with the compatible mentor idle longest, else queue it.
-- ARGV[4..]: mentee, ticket_id, skill, question, new_session_id
-- Returns {'matched', sid, mentor, mentee, skill} | {'queued', ticket_id, position}
--       | {'waiting', ticket_id, position} when already queued for this skill | {'err', code}.
local mentee, ticket, skill, question, sid = ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]

if redis.call('EXISTS', k_live(mentee)) == 1 then return {'err', 'in_session'} end
if redis.call('EXISTS', k_user_event(mentee)) == 1 then return {'err', 'in_event'} end
local current = redis.call('HMGET', k_mentee(mentee), 'skill', 'ticket_id')
if current[1] then
  if current[1] ~= skill then return {'err', 'already_waiting'} end
  return {'waiting', current[2], redis.call('ZRANK', k_queue(skill), mentee) + 1}
end
local mentor_state = redis.call('HGET', k_mentor(mentee), 'state')
if mentor_state and mentor_state ~= 'offline' then return {'err', 'mentor_online'} end
-- Moderation: after --no-show-limit no-shows within a day, asking again waits until the oldest
-- of them is a day old.
if S.noshow_limit > 0 then
  local day = 86400000
  local recent = redis.call('ZRANGEBYSCORE', k_noshows(mentee), NOW - day, '+inf', 'WITHSCORES')
  local count = #recent / 2
  if count >= S.noshow_limit then
    local frees_at = tonumber(recent[2 * (count - S.noshow_limit + 1)]) + day
    return {'err', 'no_show_pause', frees_at}
  end
end
retain_user(mentee)

enqueue(mentee, ticket, skill, question, NOW, redis.call('INCR', P .. 'queue-seq'), false)
local mentor = first_idle_mentor(skill, mentee, NOW, S.session_ms)
if mentor then return claim(mentor, mentee, sid, NOW, S.session_ms) end
return {'queued', ticket, redis.call('ZRANK', k_queue(skill), mentee) + 1}
