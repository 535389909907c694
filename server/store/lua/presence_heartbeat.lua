-- A node says it is alive, and sweeps nodes that stopped heartbeating: their sockets are removed
-- and their users get the grace like anyone whose connection dropped (one sweeper per dead
-- node: whoever removes it from the set first, inside this script).
-- ARGV[4..]: node. Returns {1 if this node had been swept (it must re-register its sockets) or
-- 0, then dead_node, users_swept pairs}.
local node = ARGV[4]
local was_missing = redis.call('ZADD', P .. 'nodes', NOW, node)
local out = {was_missing}
for _, dead in ipairs(redis.call('ZRANGEBYSCORE', P .. 'nodes', '-inf', NOW - S.stale_ms)) do
  if dead ~= node then
    redis.call('ZREM', P .. 'nodes', dead)
    local users = redis.call('SMEMBERS', P .. 'node-users:' .. dead)
    for _, user in ipairs(users) do
      for _, member in ipairs(redis.call('SMEMBERS', k_sockets(user))) do
        if string.sub(member, 1, #dead + 1) == dead .. '|' then redis.call('SREM', k_sockets(user), member) end
      end
      start_grace_if_gone(user, node)
    end
    redis.call('DEL', P .. 'node-users:' .. dead)
    out[#out + 1] = dead
    out[#out + 1] = #users
  end
end
return out
