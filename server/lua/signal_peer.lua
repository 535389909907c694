-- Who may receive a signal from this user in this session? Only the other participant of a
-- session that is still matched or live. ARGV: prefix, sid, sender.
-- Returns nil, or {peer, socket...}: the peer's "<node>|<sid>" sockets, so a node holding all of
-- them can deliver without a round trip through pub/sub.
local sid, sender = ARGV[2], ARGV[3]
local s = redis.call('HMGET', k_session(sid), 'state', 'mentor', 'mentee')
if s[1] ~= 'matched' and s[1] ~= 'live' then return nil end
local peer
if sender == s[2] then
  redis.call('HSET', k_session(sid), 'mentor_signaled', 1)
  peer = s[3]
elseif sender == s[3] then
  redis.call('HSET', k_session(sid), 'mentee_signaled', 1)
  peer = s[2]
else
  return nil
end
local out = {peer}
for _, socket in ipairs(redis.call('SMEMBERS', k_sockets(peer))) do out[#out + 1] = socket end
return out
