-- The reconciler's repairs, one per invariant. Each re-checks its violation first (the audit read
-- it a moment ago, without a lock on anything) and does nothing if it is gone.
-- ARGV[4]: kind, ARGV[5]: what (a session, user, mentor, node or event id). Returns 1 if repaired.
local kind, id = ARGV[4], ARGV[5]
local function has_timer(member) return redis.call('ZSCORE', TIMERS, member) ~= false end

if kind == 'orphan_session' then
  -- Matched or live, but one of its people is recorded elsewhere (or nowhere): end it.
  local s = redis.call('HMGET', k_session(id), 'state', 'mentor', 'mentee')
  if (s[1] ~= 'matched' and s[1] ~= 'live') or
      (redis.call('GET', k_live(s[2])) == id and redis.call('GET', k_live(s[3])) == id) then
    if s[1] ~= 'matched' and s[1] ~= 'live' then redis.call('SREM', ACTIVE, id) end
    return 0
  end
  end_call(id, 'disconnected', '', '')
  return 1
elseif kind == 'end_deadline' then
  local s = redis.call('HMGET', k_session(id), 'state', 'started_at', 'ends_at')
  if s[1] ~= 'live' or has_timer('end|' .. id) then return 0 end
  schedule_call(id, tonumber(s[2]), math.max(tonumber(s[3]), NOW))
  return 1
elseif kind == 'connect_deadline' then
  local s = redis.call('HMGET', k_session(id), 'state', 'matched_at')
  if s[1] ~= 'matched' or has_timer('connect|' .. id) then return 0 end
  at('connect', id, math.max(tonumber(s[2]) + S.grace_ms, NOW))
  return 1
elseif kind == 'stale_live' then
  local sid = redis.call('GET', k_live(id))
  if not sid then return 0 end
  local state = redis.call('HGET', k_session(sid), 'state')
  if state == 'matched' or state == 'live' then return 0 end
  redis.call('DEL', k_live(id))
  return 1
elseif kind == 'busy_mentor' then
  local state = redis.call('HGET', k_mentor(id), 'state')
  local sid = redis.call('GET', k_live(id))
  local session_state = sid and redis.call('HGET', k_session(sid), 'state')
  if state ~= 'busy' or session_state == 'matched' or session_state == 'live' then return 0 end
  redis.call('HSET', k_mentor(id), 'state', 'idle', 'idle_since', NOW)
  if burst_spent(id, NOW) then go_offline(id) else join_idle_pools(id) end
  return 1
elseif kind == 'idle_outside_pools' then
  if redis.call('HGET', k_mentor(id), 'state') ~= 'idle' then return 0 end
  if burst_spent(id, NOW) then go_offline(id) else join_idle_pools(id) end
  return 1
elseif kind == 'cooldown_deadline' then
  if redis.call('HGET', k_mentor(id), 'state') ~= 'cooldown' or has_timer('cooldown|' .. id) then return 0 end
  at('cooldown', id, NOW)
  return 1
elseif kind == 'burst_deadline' then
  local m = redis.call('HMGET', k_mentor(id), 'state', 'burst_ends_at')
  if not m[1] or m[1] == 'offline' or has_timer('burst|' .. id) then return 0 end
  at('burst', id, tonumber(m[2]) or NOW)
  return 1
elseif kind == 'ticket_in_session' then
  if redis.call('EXISTS', k_mentee(id)) == 0 or redis.call('EXISTS', k_live(id)) == 0 then return 0 end
  leave_queue(id)
  return 1
elseif kind == 'queue_without_ticket' then
  -- id is "<skill>|<mentee>": a queue entry whose ticket is gone
  local skill, mentee = string.match(id, '^([^|]+)|(.+)$')
  if redis.call('HGET', k_mentee(mentee), 'skill') == skill then return 0 end
  -- 0 when the entry went meanwhile (matched, left): the audit's snapshot was only old
  return redis.call('ZREM', k_queue(skill), mentee)
elseif kind == 'ticket_without_queue' then
  local t = redis.call('HMGET', k_mentee(id), 'skill', 'score')
  if not t[1] or redis.call('ZSCORE', k_queue(t[1]), id) then return 0 end
  redis.call('ZADD', k_queue(t[1]), tonumber(t[2]) or 0, id)
  return 1
elseif kind == 'dead_node' then
  local beat = tonumber(redis.call('ZSCORE', P .. 'nodes', id))
  if beat and beat >= NOW - S.stale_ms then return 0 end
  redis.call('ZREM', P .. 'nodes', id)
  for _, user in ipairs(redis.call('SMEMBERS', P .. 'node-users:' .. id)) do
    for _, member in ipairs(redis.call('SMEMBERS', k_sockets(user))) do
      if string.sub(member, 1, #id + 1) == id .. '|' then redis.call('SREM', k_sockets(user), member) end
    end
    start_grace_if_gone(user, '')
  end
  redis.call('DEL', P .. 'node-users:' .. id)
  return 1
elseif kind == 'event_deadline' then
  local ev = redis.call('HMGET', k_event(id), 'state', 'round', 'ends_at')
  local timer = ev[1] == 'round' and 'event-round' or (ev[1] == 'break' and 'event-break' or nil)
  if not timer or has_timer(timer .. '|' .. id .. ':' .. ev[2]) then return 0 end
  at(timer, id .. ':' .. ev[2], tonumber(ev[3]) or NOW)
  return 1
elseif kind == 'stale_user_event' then
  local event_id = redis.call('GET', k_user_event(id))
  if not event_id or redis.call('HGET', k_event(event_id), 'state') ~= 'ended' then return 0 end
  redis.call('DEL', k_user_event(id))
  return 1
end
return redis.error_reply('unknown repair ' .. kind)
