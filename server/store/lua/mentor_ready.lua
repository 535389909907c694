-- An idle mentor looks for work: its personal requests first (oldest first), then the
-- longest-waiting compatible mentee across its skills and the open questions that fit it, else it
-- joins the idle pools. With wake=1 a mentor in cooldown becomes idle first. A spent burst goes
-- offline. Safe to repeat: a mentor already in its pools just stays there.
-- ARGV[4..]: mentor, new_session_id, wake, open-question mentees that fit this mentor (ranked in
-- Python by expertise; here ordered by their place in time like everyone else).
-- Returns a claim, {'idle'}, {'offline'} or {'busy', state}.
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
for _, mentee in ipairs(redis.call('ZRANGE', k_queue(direct_queue(mentor)), 0, 49)) do
  if mentor_can_take(mentor, mentee, NOW, S.session_ms) then
    return claim(mentor, mentee, sid, NOW, S.session_ms)
  end
end
local candidates = {}
for _, skill in ipairs(split(redis.call('HGET', key, 'skills'))) do
  -- Open questions are taken only when they fit this mentor (the list Python passed).
  if skill ~= S.open_skill then
    local waiting = redis.call('ZRANGE', k_queue(skill), 0, 49, 'WITHSCORES')
    for i = 1, #waiting, 2 do
      candidates[#candidates + 1] = {waiting[i], tonumber(waiting[i + 1])}
    end
  end
end
for i = 7, #ARGV do
  local score = redis.call('ZSCORE', k_queue(S.open_skill), ARGV[i])
  if score then candidates[#candidates + 1] = {ARGV[i], tonumber(score)} end
end
table.sort(candidates, function(a, b) return a[2] < b[2] end)
for _, candidate in ipairs(candidates) do
  if mentor_can_take(mentor, candidate[1], NOW, S.session_ms) then
    return claim(mentor, candidate[1], sid, NOW, S.session_ms)
  end
end
join_idle_pools(mentor)
return {'idle'}
