-- A mentee asks for help: match it with the first mentor of a ranked list still free to take it
-- (or, for a catalog skill, the compatible mentor idle longest), else queue it.
-- ARGV[4..]: mentee, ticket_id, queue, question, new_session_id, topic, fallback, widen,
--            candidate mentors... (best first, ranked in Python by fit, reputation and fairness)
-- queue: a catalog skill, the open skill, or '@<mentor>' for a personal request; topic: the skill
-- a personal request is about ('' otherwise). fallback '1': if no candidate can take it, the
-- mentor idle longest in the skill's pool. widen '1': a deadline to offer wider skills later.
-- Returns {'matched', sid, mentor, mentee, skill} | {'queued', ticket_id, position}
--       | {'waiting', ticket_id, position} when already queued for this skill | {'err', code}.
local mentee, ticket, queue, question, sid = ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local topic, fallback, widen = ARGV[9], ARGV[10] == '1', ARGV[11] == '1'

if redis.call('EXISTS', k_live(mentee)) == 1 then return {'err', 'in_session'} end
if redis.call('EXISTS', k_user_event(mentee)) == 1 then return {'err', 'in_event'} end
local current = redis.call('HMGET', k_mentee(mentee), 'skill', 'ticket_id')
if current[1] then
  if current[1] ~= queue then return {'err', 'already_waiting'} end
  return {'waiting', current[2], redis.call('ZRANK', k_queue(queue), mentee) + 1}
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

enqueue(mentee, ticket, queue, question, NOW, redis.call('INCR', P .. 'queue-seq'), false)
if topic ~= '' then redis.call('HSET', k_mentee(mentee), 'topic', topic) end
log('joins', ticket .. '|' .. mentee .. '|' .. (topic ~= '' and topic or queue))
for i = 12, #ARGV do
  local mentor = ARGV[i]
  -- A ranked catalog candidate must still be idle in this skill's pool (it may have changed
  -- skills since Python read the pool); mentor_can_take re-checks everything else.
  if (not fallback or redis.call('ZSCORE', k_idle(queue), mentor))
      and mentor_can_take(mentor, mentee, NOW, S.session_ms) then
    return claim(mentor, mentee, sid, NOW, S.session_ms)
  end
end
if fallback then
  local mentor = first_idle_mentor(queue, mentee, NOW, S.session_ms)
  if mentor then return claim(mentor, mentee, sid, NOW, S.session_ms) end
end
if widen then at('widen', mentee, NOW + S.widen_ms) end
return {'queued', ticket, redis.call('ZRANK', k_queue(queue), mentee) + 1}
