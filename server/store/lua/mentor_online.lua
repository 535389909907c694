-- A mentor starts (or extends) an office-hours burst, with the deadline that ends it.
-- ARGV[4..]: mentor, skills_csv, burst_ends_at, max_sessions, new_burst_id
-- Returns {state, burst_ends_at, sessions_done} or {'err', code}.
local mentor, skills_csv, ends_at, max_sessions, new_burst = ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]
if redis.call('EXISTS', k_mentee(mentor)) == 1 then return {'err', 'mentee_waiting'} end
if redis.call('EXISTS', k_user_event(mentor)) == 1 then return {'err', 'in_event'} end
local key = k_mentor(mentor)
local state = redis.call('HGET', key, 'state')
local live = redis.call('GET', k_live(mentor))
if live and redis.call('HGET', k_session(live), 'mentee') == mentor then return {'err', 'in_session'} end

for _, skill in ipairs(split(redis.call('HGET', key, 'skills'))) do
  redis.call('ZREM', k_idle(skill), mentor)
  redis.call('SREM', k_online(skill), mentor)
end
if not state or state == 'offline' then
  redis.call('HSET', key, 'state', 'idle', 'burst', new_burst, 'sessions_done', 0, 'idle_since', NOW,
    'burst_started_at', NOW)
  state = 'idle'
end
redis.call('HSET', key, 'skills', skills_csv, 'burst_ends_at', ends_at, 'max_sessions', max_sessions, 'leaving', '0')
for _, skill in ipairs(split(skills_csv)) do
  redis.call('SADD', k_online(skill), mentor)
end
-- An idle mentor waits in the idle pools of its (new) skills from this step on: never idle
-- outside them, not even until the node's mentor_ready call that looks for work for it.
if state == 'idle' then join_idle_pools(mentor) end
at('burst', mentor, ends_at)
-- The directory lists everyone who mentored or describes what they can help with (read-side
-- cleaning drops accounts that are gone).
redis.call('SADD', P .. 'mentors', mentor)
retain_user(mentor)
return {state, ends_at, redis.call('HGET', key, 'sessions_done')}
