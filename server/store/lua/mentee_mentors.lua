-- How many mentors online for a skill could still take this mentee in their current burst: not
-- the mentee itself, not blocked with it, not one that declined this question (or failed to
-- connect with this person) in this burst, not leaving, with a call's length left and calls left. Read-only; it makes the
-- ETA of a declined mentee true (the mentor who declined it is online but will not take it).
-- ARGV[4..]: mentee, skill. Returns the count.
local mentee, skill = ARGV[4], ARGV[5]
local count = 0
for _, mentor in ipairs(redis.call('SMEMBERS', k_online(skill))) do
  local m = redis.call('HMGET', k_mentor(mentor), 'state', 'burst', 'leaving', 'burst_ends_at',
    'max_sessions', 'sessions_done')
  local max_sessions = tonumber(m[5]) or 0
  if mentor ~= mentee and m[1] and m[1] ~= 'offline' and m[3] ~= '1'
      and (tonumber(m[4]) or 0) - NOW >= S.session_ms
      and (max_sessions == 0 or (tonumber(m[6]) or 0) < max_sessions)
      and redis.call('SISMEMBER', k_blocked(mentor), mentee) == 0
      and not passed_on(mentor, m[2] or '', mentee) then
    count = count + 1
  end
end
return count
