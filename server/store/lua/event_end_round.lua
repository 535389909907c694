-- End round N (its timer, or the host's "next"), or the whole event (final=1, from any state).
-- The round's calls are due to end now (their 'end' deadlines move to now, so another node ends
-- them if this one dies before it does); the break's deadline is written, or, at the end, everyone
-- is released from the event.
-- ARGV[4..]: event_id, round_no, final. Returns {new_state, sid...} (the round's calls still
-- running) or nil when the event had already moved on.
local event_id, round_no, final = ARGV[4], tonumber(ARGV[5]), ARGV[6] == '1'
local key = k_event(event_id)
local ev = redis.call('HMGET', key, 'state', 'round', 'rounds', 'break_seconds')
if not ev[1] or tonumber(ev[2]) ~= round_no then return nil end
if final then
  if ev[1] == 'ended' then return nil end
elseif ev[1] ~= 'round' then
  return nil
end
local finished = final or round_no >= tonumber(ev[3])
local running = {}
if ev[1] == 'round' then
  for _, sid in ipairs(redis.call('HKEYS', k_round_pairs(event_id, round_no))) do
    local state = redis.call('HGET', k_session(sid), 'state')
    if state == 'live' or state == 'matched' then
      at('end', sid, NOW)
      running[#running + 1] = sid
    end
  end
end
cancel('event-round', event_id .. ':' .. round_no)
if finished then
  redis.call('HSET', key, 'state', 'ended', 'ends_at', '')
  cancel('event-break', event_id .. ':' .. round_no)
  for _, user in ipairs(redis.call('HKEYS', k_event_people(event_id))) do
    if redis.call('GET', k_user_event(user)) == event_id then redis.call('DEL', k_user_event(user)) end
  end
else
  local break_ends = NOW + tonumber(ev[4]) * 1000
  redis.call('HSET', key, 'state', 'break', 'ends_at', break_ends)
  at('event-break', event_id .. ':' .. round_no, break_ends)
end
retain_event(event_id)
local out = {finished and 'ended' or 'break'}
for _, sid in ipairs(running) do out[#out + 1] = sid end
return out
