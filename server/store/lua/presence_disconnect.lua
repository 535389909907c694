-- Sockets closed on this node (a network blip closes thousands together, so they come in
-- batches). A user left with no live socket anywhere gets its grace deadline in this same step.
-- ARGV[4..]: node, stopping ('1' when the node itself shuts down, so its sockets don't count),
-- then user, socket_id pairs. Returns {users who started their grace, {user...} in a call now}.
local node, stopping = ARGV[4], ARGV[5] == '1'
local touched = {}
for i = 6, #ARGV, 2 do
  redis.call('SREM', k_sockets(ARGV[i]), node .. '|' .. ARGV[i + 1])
  touched[ARGV[i]] = true
end
local graced, in_call = 0, {}
for user in pairs(touched) do
  if start_grace_if_gone(user, stopping and '' or node) then graced = graced + 1 end
  if redis.call('EXISTS', k_live(user)) == 1 then in_call[#in_call + 1] = user end
end
return {graced, in_call}
