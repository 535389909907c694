-- A person joins an event by its code. While in an event a person is out of drop-in: joining
-- leaves the skill queue and ends a mentor burst (after a running call); drop-in refuses them
-- with 'in_event' until they leave. Late joiners play from the next round.
-- ARGV[4..]: code, user, person_json (name, role, skills)
-- Returns {event_id, left_skill, mentor_outcome, mentor_skills_csv} or {'err', code}.
local code, user, person = ARGV[4], ARGV[5], ARGV[6]
local event_id = redis.call('GET', P .. 'event-code:' .. code)
if not event_id then return {'err', 'unknown_code'} end
local ev = redis.call('HMGET', k_event(event_id), 'state', 'round', 'host')
if not ev[1] then return {'err', 'unknown_code'} end
if ev[1] == 'ended' then return {'err', 'event_over'} end
if ev[3] == user then return {'err', 'is_host'} end
local current = redis.call('GET', k_user_event(user))
if current and current ~= event_id then return {'err', 'in_other_event'} end
local round_no = tonumber(ev[2])
local joined_round = (ev[1] == 'round' or ev[1] == 'break') and round_no + 1 or 1
local record = cjson.decode(person)
record.joined_round = joined_round
if current == event_id and redis.call('HEXISTS', k_event_left(event_id), user) == 0 then
  local before = redis.call('HGET', k_event_people(event_id), user)
  if before then record.joined_round = cjson.decode(before).joined_round end
end
redis.call('HSET', k_event_people(event_id), user, cjson.encode(record))
redis.call('HDEL', k_event_left(event_id), user)
redis.call('SET', k_user_event(user), event_id, 'EX', S.event_ttl_s)
retain_user(user)
retain_event(event_id)
local skill = leave_queue(user) or ''
local outcome = mentor_leaves(user) or ''
return {event_id, skill, outcome, redis.call('HGET', k_mentor(user), 'skills') or ''}
