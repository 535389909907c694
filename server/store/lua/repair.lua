-- The reconciler's repairs, one per invariant. A repair acts only while the judge of its subject
-- (judges.lua) still finds the violation, in this same step: never on a state the normal flow
-- passes through, and not at all when the violation went meanwhile.
-- ARGV[4]: kind, ARGV[5]: what (a session, user, mentor, "<queue>|<mentee>", node or event id).
-- Returns 1 if repaired, 0 if there was nothing to repair.
local kind, id = ARGV[4], ARGV[5]
local found = violates(kind, id)
if found == nil then return redis.error_reply('unknown repair ' .. kind) end
if not found then return 0 end

if kind == 'orphan_session' then
  -- Matched or live, but one of its people is recorded elsewhere (or nowhere): end it.
  end_call(id, 'disconnected', '', '')
elseif kind == 'end_deadline' then
  local s = redis.call('HMGET', k_session(id), 'started_at', 'ends_at')
  schedule_call(id, tonumber(s[1]), math.max(tonumber(s[2]) or NOW, NOW))
elseif kind == 'connect_deadline' then
  local matched_at = tonumber(redis.call('HGET', k_session(id), 'matched_at')) or NOW
  at('connect', id, math.max(matched_at + S.grace_ms, NOW))
elseif kind == 'stale_live' then
  redis.call('DEL', k_live(id))
elseif kind == 'busy_mentor' then
  redis.call('HSET', k_mentor(id), 'state', 'idle', 'idle_since', NOW)
  if burst_spent(id, NOW) then go_offline(id) else join_idle_pools(id) end
elseif kind == 'idle_outside_pools' then
  if burst_spent(id, NOW) then go_offline(id) else join_idle_pools(id) end
elseif kind == 'cooldown_deadline' then
  at('cooldown', id, NOW)
elseif kind == 'burst_deadline' then
  at('burst', id, tonumber(redis.call('HGET', k_mentor(id), 'burst_ends_at')) or NOW)
elseif kind == 'ticket_in_session' then
  leave_queue(id)
elseif kind == 'queue_without_ticket' then
  local skill, mentee = string.match(id, '^([^|]+)|(.+)$')
  redis.call('ZREM', k_queue(skill), mentee)
elseif kind == 'ticket_without_queue' then
  local t = redis.call('HMGET', k_mentee(id), 'skill', 'score')
  redis.call('ZADD', k_queue(t[1]), tonumber(t[2]) or 0, id)
elseif kind == 'dead_node' then
  redis.call('ZREM', P .. 'nodes', id)
  for _, user in ipairs(redis.call('SMEMBERS', P .. 'node-users:' .. id)) do
    for _, member in ipairs(redis.call('SMEMBERS', k_sockets(user))) do
      if string.sub(member, 1, #id + 1) == id .. '|' then redis.call('SREM', k_sockets(user), member) end
    end
    start_grace_if_gone(user, '')
  end
  redis.call('DEL', P .. 'node-users:' .. id)
elseif kind == 'event_deadline' then
  local ev = redis.call('HMGET', k_event(id), 'state', 'round', 'ends_at')
  local timer = ev[1] == 'round' and 'event-round' or 'event-break'
  at(timer, id .. ':' .. ev[2], tonumber(ev[3]) or NOW)
elseif kind == 'stale_user_event' then
  redis.call('DEL', k_user_event(id))
end
return 1
