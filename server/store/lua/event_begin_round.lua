-- Start round N: book every pair the rotation chose whose two people are still in the event and
-- free, record the round's pairs and sit-outs, and write the round's deadlines, all in one step.
-- The rotation ran in Python on a snapshot; what changed since (someone left, or is in a call)
-- is re-checked here, and such a pair's free member just sits out, uncounted.
-- The host's announcement belongs to the round it was made in: a new round clears it.
-- ARGV[4..]: event_id, round_no, question, n_pairs, then mentor, mentee, sid, skill per pair, then
-- the ids sitting out. Returns {ends_at, booked sid...} or {'refused', 'moved'} when the event is not
-- in the lobby/break before round N any more (another node or the host moved it first).
local event_id, round_no, question, n = ARGV[4], tonumber(ARGV[5]), ARGV[6], tonumber(ARGV[7])
local key = k_event(event_id)
local ev = redis.call('HMGET', key, 'state', 'round', 'round_seconds')
if (ev[1] ~= 'lobby' and ev[1] ~= 'break') or tonumber(ev[2]) ~= round_no - 1 then
  return {'refused', 'moved'}
end
local ends_at = NOW + tonumber(ev[3]) * 1000
redis.call('HSET', key, 'state', 'round', 'round', round_no, 'ends_at', ends_at)
redis.call('HDEL', key, 'announcement', 'announcement_at')
redis.call('HSET', P .. 'event:' .. event_id .. ':rounds', round_no,
  cjson.encode({started_at = NOW, ends_at = ends_at}))
cancel('event-break', event_id .. ':' .. (round_no - 1))
at('event-round', event_id .. ':' .. round_no, ends_at)
local out_key = k_round_out(event_id, round_no)
local booked = {ends_at}
for i = 0, n - 1 do
  local mentor, mentee, sid, skill = ARGV[8 + 4 * i], ARGV[9 + 4 * i], ARGV[10 + 4 * i], ARGV[11 + 4 * i]
  local ok = true
  for _, id in ipairs({mentor, mentee}) do
    if not event_active(event_id, id) or redis.call('EXISTS', k_live(id)) == 1 then ok = false end
  end
  if ok then
    book_event_call(event_id, round_no, sid, mentor, mentee, skill, question, ends_at)
    booked[#booked + 1] = sid
  else
    for _, id in ipairs({mentor, mentee}) do
      if event_active(event_id, id) then redis.call('SADD', out_key, id) end
    end
  end
end
for i = 8 + 4 * n, #ARGV do
  redis.call('SADD', out_key, ARGV[i])
  redis.call('HINCRBY', P .. 'event:' .. event_id .. ':sitouts', ARGV[i], 1)
end
retain_event(event_id)
return booked
