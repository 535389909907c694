-- The grace after a user's last socket ran out. Checked and acted on in one step, so a reconnect
-- that lands at the last moment is either seen here (nothing happens) or comes after (and finds
-- a clean slate): the user leaves the queue, its burst and its event, and its call ends.
-- ARGV[4..]: user, node (the one running this). Returns nil when the user is back, else
-- {left_skill, mentor_outcome, mentor_skills_csv, event_id, ended_sid, end_reply...}.
local user, node = ARGV[4], ARGV[5]
if alive_sockets(user, node) > 0 then return nil end
redis.call('DEL', k_gone(user))
local sid = redis.call('GET', k_live(user)) or ''
local ended = sid ~= '' and end_call(sid, 'disconnected', user, '') or nil
local skill = leave_queue(user) or ''
local outcome = mentor_leaves(user) or ''
local skills = redis.call('HGET', k_mentor(user), 'skills') or ''
local event_id = event_leave(user, '') or ''
local out = {skill, outcome, skills, event_id, ended and sid or ''}
if ended then for _, v in ipairs(ended) do out[#out + 1] = v end end
return out
