-- End a session exactly once and settle both people (lib.lua end_call).
-- ARGV[4..]: sid, reason, actor ('' for the server), expect_state ('' = matched or live),
-- participant ('1': the actor must be one of the two people, as for session:leave).
-- Returns {'not_in_session'} when the actor is not in it (or it does not exist), nil if it had
-- already ended, else {end_call's reply, the session record (HGETALL, flat), and the two people's
-- sockets (JSON)}: what settling needs, so it reads nothing more.
local sid, reason, actor, expect, participant = ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]
if participant == '1' then
  local who = redis.call('HMGET', k_session(sid), 'mentor', 'mentee')
  if actor ~= who[1] and actor ~= who[2] then return {'not_in_session'} end
end
local ended = end_call(sid, reason, actor, expect)
if not ended then return nil end
local sockets = {}
for _, id in ipairs({ended[1], ended[2]}) do sockets[id] = redis.call('SMEMBERS', k_sockets(id)) end
return {ended, redis.call('HGETALL', k_session(sid)), cjson.encode(sockets)}
