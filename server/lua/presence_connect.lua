-- A socket opened: the user is present, and any grace running for it is over.
-- ARGV[4..]: node, then user, socket_id pairs (a reconnect storm registers many per call).
local node = ARGV[4]
for i = 5, #ARGV, 2 do
  local user = ARGV[i]
  redis.call('SADD', k_sockets(user), node .. '|' .. ARGV[i + 1])
  redis.call('SADD', P .. 'node-users:' .. node, user)
  cancel('presence', user)
end
return (#ARGV - 4) / 2
