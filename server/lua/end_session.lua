-- End a session exactly once and settle both people: requeue the mentee at the front after a
-- decline or failed connection, and move the mentor to idle, cooldown or offline.
-- ARGV: prefix, sid, reason, now, rating_ms, actor ('' for the server), expect_state ('' = any live)
-- Returns nil if already ended (a lost race), else
-- {mentor, mentee, skill, mentor_state, requeued, started, rate_until}
local sid, reason, now, rating_ms, actor, expect = ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6], ARGV[7]
local key = k_session(sid)
local s = redis.call('HMGET', key, 'state', 'mentor', 'mentee', 'skill', 'question', 'ticket_id',
  'joined_at', 'score', 'burst', 'mentor_signaled')
local state, mentor, mentee, skill = s[1], s[2], s[3], s[4]
if state ~= 'matched' and state ~= 'live' then return nil end
if expect ~= '' and state ~= expect then return nil end

local rate_until = now + rating_ms
redis.call('HSET', key, 'state', 'ended', 'reason', reason, 'ended_at', now, 'rate_until', rate_until,
  'end_seq', redis.call('INCR', P .. 'txn-seq'))
for _, id in ipairs({mentor, mentee}) do
  if redis.call('GET', k_live(id)) == sid then redis.call('DEL', k_live(id)) end
end

local started = state == 'live'
local failed_start = reason == 'declined' or reason == 'no_connection'
local mentor_bailed = actor == mentor and not started
local requeued = 0
if (failed_start or mentor_bailed) and actor ~= mentee then
  if redis.call('EXISTS', k_mentee(mentee)) == 0 and redis.call('EXISTS', k_live(mentee)) == 0 then
    enqueue(mentee, s[6], skill, s[5], s[7], tonumber(s[8]) or 0, true)
    requeued = 1
  end
end

local mkey = k_mentor(mentor)
local mentor_state = redis.call('HGET', mkey, 'state')
if mentor_state == 'busy' then
  if failed_start or mentor_bailed then
    redis.call('SADD', k_declined(mentor, s[9] or ''), mentee)
  end
  if actor == mentor and reason == 'disconnected' then
    mentor_state = 'offline'
  elseif reason == 'no_connection' and s[10] ~= '1' then
    mentor_state = 'offline'  -- the mentor never showed up
  elseif started and not failed_start then
    redis.call('HINCRBY', mkey, 'sessions_done', 1)
    mentor_state = 'cooldown'
  else
    mentor_state = 'idle'
  end
  if mentor_state ~= 'offline' and burst_spent(mentor, now) then mentor_state = 'offline' end
  if mentor_state == 'offline' then
    go_offline(mentor)
  else
    redis.call('HSET', mkey, 'state', mentor_state, 'idle_since', now)
  end
end
return {mentor, mentee, skill, mentor_state or 'offline', requeued, started and 1 or 0, rate_until}
