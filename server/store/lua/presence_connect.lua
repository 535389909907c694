-- A socket opened: the user is present, and any grace running for it is over. A user back within
-- its grace during a live drop-in call gets the time it was gone added to the call's end, in this
-- same step (lib's credit_return).
-- ARGV[4..]: node, then user, socket_id pairs (a reconnect storm registers many per call).
-- Returns {{sid, started_at, ends_at, credited_ms, ...} for every call credited,
--          {user...} in a call now (other nodes drop their cached socket lists of them)}.
local node = ARGV[4]
local credited, in_call = {}, {}
for i = 5, #ARGV, 2 do
  local user = ARGV[i]
  redis.call('SADD', k_sockets(user), node .. '|' .. ARGV[i + 1])
  redis.call('SADD', P .. 'node-users:' .. node, user)
  cancel('presence', user)
  local credit = credit_return(user)
  if credit then for _, v in ipairs(credit) do credited[#credited + 1] = v end end
  if redis.call('EXISTS', k_live(user)) == 1 then in_call[#in_call + 1] = user end
end
return {credited, in_call}
