-- A mentee asks for help: match it with the compatible mentor idle longest, else queue it.
-- KEYS: none beyond the prefix-built ones.
-- ARGV: prefix, mentee, ticket_id, skill, question, now, session_ms, new_session_id, seq_key
-- Returns {'matched', sid, mentor, mentee, skill} | {'queued', ticket_id, position}
--       | {'err', code} | {'waiting', ticket_id, position} when already queued for this skill.
local mentee, ticket, skill, question = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local now, session_ms, sid = tonumber(ARGV[6]), tonumber(ARGV[7]), ARGV[8]

if redis.call('EXISTS', k_live(mentee)) == 1 then return {'err', 'in_session'} end
local current = redis.call('HMGET', k_mentee(mentee), 'skill', 'ticket_id')
if current[1] then
  if current[1] ~= skill then return {'err', 'already_waiting'} end
  return {'waiting', current[2], redis.call('ZRANK', k_queue(skill), mentee) + 1}
end
local mentor_state = redis.call('HGET', k_mentor(mentee), 'state')
if mentor_state and mentor_state ~= 'offline' then return {'err', 'mentor_online'} end

local score = redis.call('INCR', P .. 'queue-seq')
enqueue(mentee, ticket, skill, question, now, score, false)
for _, mentor in ipairs(redis.call('ZRANGE', k_idle(skill), 0, 499)) do
  if mentor_can_take(mentor, mentee, now, session_ms) then
    return claim(mentor, mentee, sid, now, session_ms)
  end
end
return {'queued', ticket, redis.call('ZRANK', k_queue(skill), mentee) + 1}
