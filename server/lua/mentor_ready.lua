-- An idle mentor looks for work: the longest-waiting compatible mentee across its skills, else it
-- joins the idle pools. With wake=1 a mentor in cooldown becomes idle first. A spent burst goes
-- offline. Safe to repeat: a mentor already in its pools just stays there.
-- ARGV[4..]: mentor, new_session_id, wake. Returns a claim, {'idle'}, {'offline'} or {'busy', state}.
local mentor, sid, wake = ARGV[4], ARGV[5], ARGV[6]
local key = k_mentor(mentor)
local state = redis.call('HGET', key, 'state')
if state == 'cooldown' and wake == '1' then
  redis.call('HSET', key, 'state', 'idle', 'idle_since', NOW)
  cancel('cooldown', mentor)
  state = 'idle'
end
if state ~= 'idle' then return {'busy', state or 'offline'} end
if burst_spent(mentor, NOW) then
  go_offline(mentor)
  return {'offline'}
end
local candidates = {}
for _, skill in ipairs(split(redis.call('HGET', key, 'skills'))) do
  local waiting = redis.call('ZRANGE', k_queue(skill), 0, 49, 'WITHSCORES')
  for i = 1, #waiting, 2 do
    candidates[#candidates + 1] = {waiting[i], tonumber(waiting[i + 1])}
  end
end
table.sort(candidates, function(a, b) return a[2] < b[2] end)
for _, candidate in ipairs(candidates) do
  if mentor_can_take(mentor, candidate[1], NOW, S.session_ms) then
    return claim(mentor, candidate[1], sid, NOW, S.session_ms)
  end
end
join_idle_pools(mentor)
return {'idle'}
