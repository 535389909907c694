-- The invariants our promises rest on, each judged on one entity in one atomic step. Prepended
-- (after lib.lua) to audit.lua, which lists what the judges find, and to repair.lua, which mends a
-- violation only while its judge still finds it, in that same step. A judge returns a list of
-- {kind, detail}; the kind names the repair that mends it.
-- A judge never calls a step of the normal flow a violation. Every transition below is one script
-- that writes a state with its deadline, so the only in-between states are deadlines a node has
-- claimed (leased: still in the timers ZSET until its handler completes it) and a busy mentor
-- whose burst is over (its burst deadline did its work: it goes offline when its call ends).

local function has_timer(member) return redis.call('ZSCORE', TIMERS, member) ~= false end
local function is_open(state) return state == 'matched' or state == 'live' end

local judges = {}

-- A matched or live session: both its people point at it, and it has its deadline.
function judges.session(sid)
  local s = redis.call('HMGET', k_session(sid), 'state', 'mentor', 'mentee')
  if not is_open(s[1]) then return {} end
  if redis.call('GET', k_live(s[2] or '')) ~= sid or redis.call('GET', k_live(s[3] or '')) ~= sid then
    return {{'orphan_session', s[1] .. '; its people are elsewhere'}}
  end
  if s[1] == 'live' and not has_timer('end|' .. sid) then
    return {{'end_deadline', 'live without an end'}}
  end
  if s[1] == 'matched' and not has_timer('connect|' .. sid) then
    return {{'connect_deadline', 'matched without a connect deadline'}}
  end
  return {}
end

-- live:<user> points at a matched or live session.
function judges.live(user)
  local sid = redis.call('GET', k_live(user))
  if not sid then return {} end
  local state = redis.call('HGET', k_session(sid), 'state')
  if is_open(state) then return {} end
  return {{'stale_live', 'points at ' .. sid .. ' (' .. (state or 'none') .. ')'}}
end

-- A mentor online: busy in a session, idle in every idle pool of its skills, in cooldown with
-- the deadline that wakes it, and with the deadline that ends its burst.
function judges.mentor(mentor)
  local m = redis.call('HMGET', k_mentor(mentor), 'state', 'skills', 'leaving')
  local state = m[1]
  if not state or state == 'offline' then return {} end
  local out = {}
  if state == 'busy' then
    local sid = redis.call('GET', k_live(mentor))
    local session_state = sid and redis.call('HGET', k_session(sid), 'state')
    if not is_open(session_state) then
      out[#out + 1] = {'busy_mentor', 'busy, session ' .. (sid or 'none') .. ' is ' .. (session_state or 'none')}
    end
  elseif state == 'idle' then
    for _, skill in ipairs(split(m[2])) do
      if not redis.call('ZSCORE', k_idle(skill), mentor) then
        out[#out + 1] = {'idle_outside_pools', 'idle, not in idle:' .. skill}
        break
      end
    end
  elseif state == 'cooldown' and not has_timer('cooldown|' .. mentor) then
    out[#out + 1] = {'cooldown_deadline', 'in cooldown without a deadline'}
  end
  if not has_timer('burst|' .. mentor) and not (state == 'busy' and m[3] == '1') then
    out[#out + 1] = {'burst_deadline', 'online without a burst end'}
  end
  return out
end

-- A waiting mentee is in no session, and in its queue.
function judges.mentee(mentee)
  local skill = redis.call('HGET', k_mentee(mentee), 'skill')
  if not skill then return {} end
  if redis.call('EXISTS', k_live(mentee)) == 1 then
    return {{'ticket_in_session', 'waiting while in a session'}}
  end
  if not redis.call('ZSCORE', k_queue(skill), mentee) then
    return {{'ticket_without_queue', 'ticket, not in queue:' .. skill}}
  end
  return {}
end

-- A queue entry "<queue>|<mentee>" (still there) has its ticket, for that queue.
function judges.queued(entry)
  local skill, mentee = string.match(entry, '^([^|]+)|(.+)$')
  if not skill or not redis.call('ZSCORE', k_queue(skill), mentee) then return {} end
  if redis.call('HGET', k_mentee(mentee), 'skill') == skill then return {} end
  return {{'queue_without_ticket', 'queued without a ticket'}}
end

-- The sockets of a node that stopped heartbeating were swept. Every live node sweeps a node
-- stale_ms old at its next heartbeat (presence_heartbeat.lua), so a stale node not yet swept is a
-- step of the normal flow; one still there twice that long after has nobody sweeping it. A node
-- with no heartbeat at all removed it to stop (server/domain/presence.py) and was stopped mid-way.
function judges.node(node)
  if redis.call('EXISTS', P .. 'node-users:' .. node) == 0 then return {} end
  local beat = tonumber(redis.call('ZSCORE', P .. 'nodes', node))
  if beat and beat >= NOW - 2 * S.stale_ms then return {} end
  return {{'dead_node', 'sockets of a node that stopped heartbeating'}}
end

-- An event in a round or a break has the deadline that ends it.
function judges.event(event_id)
  local ev = redis.call('HMGET', k_event(event_id), 'state', 'round')
  local timer = (ev[1] == 'round' and 'event-round') or (ev[1] == 'break' and 'event-break') or nil
  if timer and not has_timer(timer .. '|' .. event_id .. ':' .. (ev[2] or '')) then
    return {{'event_deadline', ev[1] .. ' ' .. (ev[2] or '') .. ' without its deadline'}}
  end
  return {}
end

-- Nobody stays in an event that ended (or is gone).
function judges.user_event(user)
  local event_id = redis.call('GET', k_user_event(user))
  if not event_id then return {} end
  local state = redis.call('HGET', k_event(event_id), 'state')
  if state and state ~= 'ended' then return {} end
  return {{'stale_user_event', 'in ' .. event_id .. ', which ' .. (state and 'ended' or 'is gone')}}
end

-- Which judge finds each kind of violation.
local JUDGE_OF = {
  orphan_session = 'session', end_deadline = 'session', connect_deadline = 'session',
  stale_live = 'live', busy_mentor = 'mentor', idle_outside_pools = 'mentor',
  cooldown_deadline = 'mentor', burst_deadline = 'mentor', ticket_in_session = 'mentee',
  ticket_without_queue = 'mentee', queue_without_ticket = 'queued', dead_node = 'node',
  event_deadline = 'event', stale_user_event = 'user_event',
}

-- Does the judge of this subject find this violation now? nil for an unknown kind.
local function violates(kind, id)
  local family = JUDGE_OF[kind]
  if not family then return nil end
  for _, found in ipairs(judges[family](id)) do
    if found[1] == kind then return true end
  end
  return false
end
