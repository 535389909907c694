-- Re-pair mid-round: the one whose partner left meets someone sitting this round out, until the
-- round's shared end. Everything that could have changed since Python chose the candidate is
-- checked here: the round is still the running one with time left, both are in the event and
-- free, the candidate still sits out, and the two have not met.
-- ARGV[4..]: event_id, round_no, mentor, mentee, sid, skill, question
-- Returns {'booked', ends_at} or {'refused', reason}.
local event_id, round_no, mentor, mentee, sid = ARGV[4], tonumber(ARGV[5]), ARGV[6], ARGV[7], ARGV[8]
local ev = redis.call('HMGET', k_event(event_id), 'state', 'round', 'ends_at')
if ev[1] ~= 'round' or tonumber(ev[2]) ~= round_no then return {'refused', 'round_over'} end
local ends_at = tonumber(ev[3])
if ends_at - NOW < 1000 then return {'refused', 'round_over'} end
local out_key = k_round_out(event_id, round_no)
for _, id in ipairs({mentor, mentee}) do
  if not event_active(event_id, id) or redis.call('EXISTS', k_live(id)) == 1 then return {'refused', 'busy'} end
end
if redis.call('SISMEMBER', out_key, mentor) == 0 and redis.call('SISMEMBER', out_key, mentee) == 0 then
  return {'refused', 'not_sitting_out'}
end
if redis.call('SISMEMBER', k_event_met(event_id), mentor .. '|' .. mentee) == 1 then return {'refused', 'met'} end
book_event_call(event_id, round_no, sid, mentor, mentee, ARGV[9], ARGV[10], ends_at)
redis.call('SREM', out_key, mentor, mentee)
retain_event(event_id)
return {'booked', ends_at}
