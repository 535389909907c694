-- A person leaves its event (out of this and later rounds); a call it is in ends as 'left'.
-- ARGV[4..]: user, expected_event_id ('' = whichever). Returns nil when not in that event, else
-- {event_id, ended_sid, end_reply...}.
local user, expected = ARGV[4], ARGV[5]
local event_id = event_leave(user, expected)
if not event_id then return nil end
local sid = redis.call('GET', k_live(user)) or ''
local ended = nil
if sid ~= '' and redis.call('HGET', k_session(sid), 'event_id') == event_id then
  ended = end_call(sid, 'left', user, '')
end
local out = {event_id, ended and sid or ''}
if ended then for _, v in ipairs(ended) do out[#out + 1] = v end end
return out
