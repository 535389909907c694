-- Who may receive a signal from this user in this session? Only the other participant of a
-- session that is still matched or live. An offer from the mentee and an answer from the mentor
-- are what "showed up" means for the no_connection rule. A node asks on its first relay for a
-- session and then caches the answer, so 'relayed' tells the end whether any node may hold it.
-- ARGV[4..]: sid, sender, type.
-- Returns nil, or {peer, socket...}: the peer's "<node>|<sid>" sockets, so a node holding all of
-- them can deliver without a round trip through pub/sub.
local sid, sender, kind = ARGV[4], ARGV[5], ARGV[6]
local s = redis.call('HMGET', k_session(sid), 'state', 'mentor', 'mentee')
if s[1] ~= 'matched' and s[1] ~= 'live' then return nil end
local peer
redis.call('HSET', k_session(sid), 'relayed', 1)
if sender == s[2] then
  if kind == 'answer' then redis.call('HSET', k_session(sid), 'mentor_showed', 1) end
  peer = s[3]
elseif sender == s[3] then
  if kind == 'offer' then redis.call('HSET', k_session(sid), 'mentee_showed', 1) end
  peer = s[2]
else
  return nil
end
local out = {peer}
for _, socket in ipairs(redis.call('SMEMBERS', k_sockets(peer))) do out[#out + 1] = socket end
return out
