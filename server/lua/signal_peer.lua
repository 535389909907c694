-- Who may receive a signal from this user in this session? Only the other participant of a
-- session that is still matched or live. ARGV: prefix, sid, sender. Returns the peer id or nil.
local sid, sender = ARGV[2], ARGV[3]
local s = redis.call('HMGET', k_session(sid), 'state', 'mentor', 'mentee')
if s[1] ~= 'matched' and s[1] ~= 'live' then return nil end
if sender == s[2] then
  redis.call('HSET', k_session(sid), 'mentor_signaled', 1)
  return s[3]
end
if sender == s[3] then
  redis.call('HSET', k_session(sid), 'mentee_signaled', 1)
  return s[2]
end
return nil
