-- Remember the wider skills offered to a waiting mentee (only these are accepted later).
-- ARGV[4..]: mentee, ticket_id, skills_csv. Returns 1, or 0 when that ticket no longer waits.
local mentee, ticket, skills = ARGV[4], ARGV[5], ARGV[6]
if redis.call('HGET', k_mentee(mentee), 'ticket_id') ~= ticket then return 0 end
redis.call('HSET', k_mentee(mentee), 'widen_offer', skills)
return 1
