-- A chat message in a call, kept with its session. Scripts run one at a time, so the list's order
-- is the one order of the conversation: each message's seq is its place in it.
-- ARGV[4..]: sid, sender, text, message id
-- Returns {'ok', seq, mentee, mentor, at} | {'err', 'not_in_session'} | {'err', 'chat_full'}
local sid, sender, text, id = ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local s = redis.call('HMGET', k_session(sid), 'state', 'mentor', 'mentee')
if not s[1] or (sender ~= s[2] and sender ~= s[3]) or (s[1] ~= 'matched' and s[1] ~= 'live') then
  return {'err', 'not_in_session'}
end
local seq = redis.call('LLEN', k_chat(sid)) + 1
if seq > S.chat_max then return {'err', 'chat_full'} end
redis.call('RPUSH', k_chat(sid),
  cjson.encode({id = id, seq = seq, from = sender, text = text, at = NOW}))
redis.call('EXPIRE', k_chat(sid), S.history_ttl_s)  -- kept as long as the session's record
return {'ok', seq, s[3], s[2], NOW}
