-- Shared helpers, prepended to every script but the standalone timer ones.
-- ARGV[1]: key prefix; ARGV[2]: now, cluster ms (server/runtime/clock.py); ARGV[3]: settings JSON
-- (server/store/scripts.py: session_ms, grace_ms, cooldown_ms, rating_ms, settle_ms, warn_ms,
-- max_extensions, max_credit_ms, chat_max, notes_max, notes_max_bytes, ...).
-- A script's own arguments start at ARGV[4]. Keys are built from the prefix (one Redis, not
-- Cluster), mirroring server/store/keys.py. Deadlines are members "<kind>|<arg>" of the timers ZSET and
-- are written in the same script as the state change they belong to, so no crash between two
-- writes can leave a state without its deadline.
local P = ARGV[1]
local NOW = tonumber(ARGV[2])
local S = cjson.decode(ARGV[3])
local TIMERS = P .. 'timers'
local ACTIVE = P .. 'active'  -- SET of session ids matched or live: what the reconciler audits
local function k_user(id) return P .. 'user:' .. id end
local function k_mentor(id) return P .. 'mentor:' .. id end
local function k_mentee(id) return P .. 'mentee:' .. id end
local function k_queue(skill) return P .. 'queue:' .. skill end
local function k_idle(skill) return P .. 'idle:' .. skill end
local function k_online(skill) return P .. 'online:' .. skill end
local function k_live(id) return P .. 'live:' .. id end
local function k_session(id) return P .. 'session:' .. id end
local function k_blocked(id) return P .. 'blocked:' .. id end
-- Declines are about a question (ticket ids); a failed connection is about a pair (mentee ids).
local function k_declined(mentor, burst) return P .. 'declined:' .. mentor .. ':' .. burst end
local function k_unreachable(mentor, burst) return P .. 'unreachable:' .. mentor .. ':' .. burst end
local function k_history(id) return P .. 'history:' .. id end
local function k_sockets(id) return P .. 'sockets:' .. id end
local function k_noshows(id) return P .. 'noshows:' .. id end
local function k_user_event(id) return P .. 'user-event:' .. id end
local function k_event(id) return P .. 'event:' .. id end
local function k_event_people(id) return P .. 'event:' .. id .. ':people' end
local function k_event_left(id) return P .. 'event:' .. id .. ':left' end
local function k_event_met(id) return P .. 'event:' .. id .. ':met' end
local function k_round_pairs(id, n) return P .. 'event:' .. id .. ':round:' .. n end
local function k_round_out(id, n) return P .. 'event:' .. id .. ':round:' .. n .. ':out' end
local function k_chat(id) return P .. 'chat:' .. id end
local function k_notes(id) return P .. 'notes:' .. id end
local function k_gone(id) return P .. 'gone:' .. id end
-- A mentor's personal requests ("Ask Jamie") wait in a queue of their own, named like a skill.
local function direct_queue(mentor) return '@' .. mentor end

-- Program analytics read these logs (server/domain/program/analytics.py); entries older than the
-- history retention are trimmed now and then as the log is written (about one write in 32, so
-- the claim, which writes one, stays one command heavier, not three).
local function log(name, member, score)
  local key = P .. 'log:' .. name
  redis.call('ZADD', key, score or NOW, member)
  if NOW % 32 == 0 then
    redis.call('ZREMRANGEBYSCORE', key, '-inf', NOW - S.history_ttl_s * 1000)
  end
end

local function split(csv)
  local out = {}
  if csv then
    for part in string.gmatch(csv, '[^,]+') do out[#out + 1] = part end
  end
  return out
end

-- Deadlines -------------------------------------------------------------------------------------

local function at(kind, arg, due) redis.call('ZADD', TIMERS, due, kind .. '|' .. arg) end
local function cancel(kind, arg) redis.call('ZREM', TIMERS, kind .. '|' .. arg) end

-- The end and the session:warning marks of a call running until ends_at.
local function schedule_call(sid, started_at, ends_at)
  at('end', sid, ends_at)
  for _, ms in ipairs(S.warn_ms) do
    local due = ends_at - ms
    if due > started_at and due < ends_at and due > NOW then at('warn', sid .. ':' .. ms, due)
    else cancel('warn', sid .. ':' .. ms) end
  end
end

local function unschedule_call(sid)
  cancel('end', sid)
  cancel('connect', sid)
  for _, ms in ipairs(S.warn_ms) do cancel('warn', sid .. ':' .. ms) end
end

-- Retention ---------------------------------------------------------------------------------------

-- A person did something: a guest is kept for the history retention from now on (an unused guest
-- expires after --guest-ttl-seconds, set at login); a kept account (passkey, sso) and its own keys
-- never expire. Reports about people are kept for moderation, outside this.
local function retain_user(uid)
  local kind = redis.call('HGET', k_user(uid), 'kind')
  local kept = kind == 'passkey' or kind == 'sso'
  for _, key in ipairs({k_user(uid), P .. 'reputation:' .. uid, k_blocked(uid), k_noshows(uid),
      P .. 'hosted:' .. uid, k_mentor(uid), P .. 'passkeys:' .. uid, P .. 'skillrep:' .. uid}) do
    if kept then redis.call('PERSIST', key) else redis.call('EXPIRE', key, S.history_ttl_s) end
  end
end

-- A session record, its ratings and its chat live for the history retention.
local function retain_session(sid)
  for _, key in ipairs({k_session(sid), P .. 'ratings:' .. sid, P .. 'chat:' .. sid, P .. 'notes:' .. sid}) do
    redis.call('EXPIRE', key, S.history_ttl_s)
  end
end

-- A user's journal: entries older than the retention fall off, and an idle journal expires.
local function add_history(uid, sid)
  local key = k_history(uid)
  redis.call('ZADD', key, NOW, sid)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', NOW - S.history_ttl_s * 1000)
  redis.call('EXPIRE', key, S.history_ttl_s)
end

-- Every key of an event expires together, the event retention after its last change.
local function retain_event(event_id)
  local base = P .. 'event:' .. event_id
  local ev = redis.call('HMGET', base, 'code', 'host', 'rounds')
  local family = {base, base .. ':people', base .. ':left', base .. ':sitouts', base .. ':met',
    base .. ':rounds', base .. ':prompts', P .. 'event-code:' .. (ev[1] or ''), P .. 'hosted:' .. (ev[2] or '')}
  for n = 1, tonumber(ev[3]) or 0 do
    family[#family + 1] = base .. ':round:' .. n
    family[#family + 1] = base .. ':round:' .. n .. ':out'
  end
  for _, key in ipairs(family) do redis.call('EXPIRE', key, S.event_ttl_s) end
end

-- Mentors ---------------------------------------------------------------------------------------

-- Has this mentor passed on this waiting mentee in its burst: declined its question (this
-- ticket), or failed to connect with this person?
local function passed_on(mentor, burst, mentee)
  local ticket = redis.call('HGET', k_mentee(mentee), 'ticket_id') or ''
  return redis.call('SISMEMBER', k_declined(mentor, burst), ticket) == 1
    or redis.call('SISMEMBER', k_unreachable(mentor, burst), mentee) == 1
end

-- May this mentor take this waiting mentee now? Burst rules, blocks, declines, events, no
-- self-match.
local function mentor_can_take(mentor, mentee, now, session_ms)
  if mentor == mentee then return false end
  local m = redis.call('HMGET', k_mentor(mentor), 'state', 'burst_ends_at', 'max_sessions', 'sessions_done', 'burst')
  if m[1] ~= 'idle' then return false end
  if (tonumber(m[2]) or 0) - now < session_ms then return false end
  local max_sessions = tonumber(m[3]) or 0
  if max_sessions > 0 and (tonumber(m[4]) or 0) >= max_sessions then return false end
  if redis.call('EXISTS', k_live(mentor)) == 1 or redis.call('EXISTS', k_live(mentee)) == 1 then return false end
  if redis.call('SISMEMBER', k_blocked(mentor), mentee) == 1 then return false end
  if passed_on(mentor, m[5] or '', mentee) then return false end
  return true
end

local function leave_idle_pools(mentor)
  for _, skill in ipairs(split(redis.call('HGET', k_mentor(mentor), 'skills'))) do
    redis.call('ZREM', k_idle(skill), mentor)
  end
end

local function join_idle_pools(mentor)
  local m = redis.call('HMGET', k_mentor(mentor), 'skills', 'idle_since')
  for _, skill in ipairs(split(m[1])) do
    redis.call('ZADD', k_idle(skill), tonumber(m[2]) or NOW, mentor)
  end
end

local function go_offline(mentor)
  local m = redis.call('HMGET', k_mentor(mentor), 'skills', 'burst', 'burst_started_at', 'sessions_done', 'state')
  for _, skill in ipairs(split(m[1])) do
    redis.call('ZREM', k_idle(skill), mentor)
    redis.call('SREM', k_online(skill), mentor)
  end
  if m[5] and m[5] ~= 'offline' and m[3] then
    log('bursts', table.concat({m[2] or '', mentor, m[3], NOW, m[4] or 0}, '|'))
  end
  redis.call('HSET', k_mentor(mentor), 'state', 'offline', 'leaving', '0')
  cancel('burst', mentor)
  cancel('cooldown', mentor)
end

-- A mentor ends its burst; during a call it finishes the call first.
-- Returns 'offline', 'after_call' or false when it was not online.
local function mentor_leaves(mentor)
  local state = redis.call('HGET', k_mentor(mentor), 'state')
  if not state or state == 'offline' then return false end
  if state == 'busy' then
    redis.call('HSET', k_mentor(mentor), 'leaving', '1')
    leave_idle_pools(mentor)
    return 'after_call'
  end
  go_offline(mentor)
  return 'offline'
end

-- Is the burst over for matching purposes (time or max_sessions)?
local function burst_spent(mentor, now)
  local m = redis.call('HMGET', k_mentor(mentor), 'burst_ends_at', 'max_sessions', 'sessions_done', 'leaving')
  if now >= (tonumber(m[1]) or 0) then return true end
  local max_sessions = tonumber(m[2]) or 0
  if max_sessions > 0 and (tonumber(m[3]) or 0) >= max_sessions then return true end
  return m[4] == '1'
end

-- Mentees ---------------------------------------------------------------------------------------

-- Put a mentee (back) in its queue; front=true puts it ahead of everyone waiting.
local function enqueue(mentee, ticket, skill, question, joined_at, score, front)
  if front then
    local head = redis.call('ZRANGE', k_queue(skill), 0, 0, 'WITHSCORES')
    if head[2] and tonumber(head[2]) <= score then score = tonumber(head[2]) - 1 end
  end
  redis.call('HSET', k_mentee(mentee), 'ticket_id', ticket, 'skill', skill, 'question', question,
    'joined_at', joined_at, 'score', score)
  redis.call('ZADD', k_queue(skill), score, mentee)
end

-- A mentee stops waiting; returns the skill it left, or false.
local function leave_queue(mentee)
  local skill = redis.call('HGET', k_mentee(mentee), 'skill')
  if not skill then return false end
  redis.call('ZREM', k_queue(skill), mentee)
  redis.call('DEL', k_mentee(mentee))
  cancel('widen', mentee)
  return skill
end

-- Sessions --------------------------------------------------------------------------------------

-- claim_seq/end_seq order claims and ends exactly (scripts run one at a time), so an audit can
-- prove nobody held two sessions at once without trusting the nodes' clocks.
local function seq() return redis.call('INCR', P .. 'txn-seq') end

-- Take a waiting mentee out of its queue and book both into a new session, with its connect
-- deadline. Returns the claim reply.
local function claim(mentor, mentee, sid, now, session_ms)
  local t = redis.call('HMGET', k_mentee(mentee), 'ticket_id', 'skill', 'question', 'joined_at', 'score', 'topic')
  redis.call('ZREM', k_queue(t[2]), mentee)
  redis.call('DEL', k_mentee(mentee))
  cancel('widen', mentee)
  local direct = ''
  if string.sub(t[2], 1, 1) == '@' then direct = string.sub(t[2], 2) end
  local skill = t[6] or t[2]
  leave_idle_pools(mentor)
  local burst = redis.call('HGET', k_mentor(mentor), 'burst')
  redis.call('HSET', k_mentor(mentor), 'state', 'busy')
  redis.call('HSET', k_session(sid),
    'id', sid, 'mentor', mentor, 'mentee', mentee, 'skill', skill, 'question', t[3],
    'ticket_id', t[1], 'joined_at', t[4], 'score', t[5], 'burst', burst, 'direct', direct,
    'state', 'matched', 'matched_at', now, 'duration_ms', session_ms, 'claim_seq', seq())
  redis.call('SET', k_live(mentor), sid)
  redis.call('SET', k_live(mentee), sid)
  for _, id in ipairs({mentor, mentee}) do
    add_history(id, sid)
    retain_user(id)
  end
  retain_session(sid)
  redis.call('SADD', ACTIVE, sid)
  at('connect', sid, now + S.grace_ms)
  log('sessions', sid)
  -- What announcing the match needs, read here rather than in more round trips after it.
  local cards, sockets = {}, {}
  for _, id in ipairs({mentor, mentee}) do
    local u = redis.call('HMGET', k_user(id), 'name', 'headline', 'wont_cover')
    local r = redis.call('HMGET', P .. 'reputation:' .. id, 'count', 'sum')
    cards[id] = {u[1] or '', u[2] or '', u[3] or '', tonumber(r[1]) or 0, tonumber(r[2]) or 0}
    sockets[id] = redis.call('SMEMBERS', k_sockets(id))
  end
  local prior = redis.call('HMGET', P .. 'reputation:*all*', 'count', 'sum')
  return {'matched', sid, mentor, mentee, skill, cjson.encode({
    question = t[3], ticket_id = t[1], joined_at = tonumber(t[4]), matched_at = now,
    duration_ms = session_ms, burst = burst or '', direct = direct, cards = cards,
    prior = {tonumber(prior[1]) or 0, tonumber(prior[2]) or 0}, sockets = sockets})}
end

-- The first idle mentor of a skill (idle longest first) who may take this mentee, or nil.
local function first_idle_mentor(skill, mentee, now, session_ms)
  for _, mentor in ipairs(redis.call('ZRANGE', k_idle(skill), 0, 499)) do
    if mentor_can_take(mentor, mentee, now, session_ms) then return mentor end
  end
  return nil
end

-- Fold a finished call's length into the skill's moving average (EWMA, alpha 0.2).
local function record_service(skill, seconds)
  local key = P .. 'service:' .. skill
  local current = tonumber(redis.call('HGET', key, 'avg_s'))
  local value = current and (0.8 * current + 0.2 * seconds) or seconds
  redis.call('HSET', key, 'avg_s', string.format('%.3f', value))
end

-- End a session exactly once and settle both people in the same step: requeue, the mentor's next
-- state with its deadline, no-shows, and a 'settle' deadline that guarantees the follow-ups
-- (notifications, matching the freed people) run even if this node dies right after.
-- no_connection (the v2 rule): the mentee showed once it sent an offer, the mentor once it
-- answered (or either reported media flowing). The side that did its part is never punished.
-- Returns nil when already ended (a lost race) or not in the expected state, else
-- {mentor, mentee, skill, mentor_state, requeued, was_live, rate_until, no_show_csv, event_id}.
local function end_call(sid, reason, actor, expect)
  local key = k_session(sid)
  local s = redis.call('HMGET', key, 'state', 'mentor', 'mentee', 'skill', 'question', 'ticket_id',
    'joined_at', 'score', 'burst', 'mentee_showed', 'mentor_showed', 'mentee_connected',
    'mentor_connected', 'matched_at', 'event_id', 'direct')
  local state, mentor, mentee, skill = s[1], s[2], s[3], s[4]
  if state ~= 'matched' and state ~= 'live' then return nil end
  if expect ~= '' and state ~= expect then return nil end
  local event_id = s[15] or ''

  local no_show = {}
  if reason == 'no_connection' then
    if s[10] ~= '1' and s[12] ~= '1' then no_show = {mentee}
    elseif s[11] ~= '1' and s[13] ~= '1' then no_show = {mentor} end
  end
  local mentee_absent = no_show[1] == mentee
  local mentor_absent = no_show[1] == mentor
  for _, id in ipairs(no_show) do
    redis.call('ZADD', k_noshows(id), NOW, sid)
    redis.call('ZREMRANGEBYSCORE', k_noshows(id), '-inf', NOW - S.history_ttl_s * 1000)
    redis.call('EXPIRE', k_noshows(id), S.history_ttl_s)
  end

  local rate_until = NOW + S.rating_ms
  redis.call('HSET', key, 'state', 'ended', 'reason', reason, 'ended_at', NOW, 'rate_until', rate_until,
    'no_show', table.concat(no_show, ','), 'actor', actor, 'end_seq', seq())
  retain_session(sid)
  -- Only a session a person is really in moves that person (a repaired orphan moves nobody).
  local mentor_here = redis.call('GET', k_live(mentor)) == sid
  for _, id in ipairs({mentor, mentee}) do
    if redis.call('GET', k_live(id)) == sid then redis.call('DEL', k_live(id)) end
  end
  redis.call('SREM', ACTIVE, sid)
  unschedule_call(sid)

  local started = state == 'live'
  local failed_start = reason == 'declined' or reason == 'no_connection'
  local mentor_bailed = actor == mentor and not started
  local requeued = 0
  -- A personal request is not requeued: only that mentor could take it, and it passed.
  local direct = s[16] or ''
  if event_id == '' and direct == '' and (failed_start or mentor_bailed) and actor ~= mentee
      and not mentee_absent then
    if redis.call('EXISTS', k_mentee(mentee)) == 0 and redis.call('EXISTS', k_live(mentee)) == 0
        and redis.call('EXISTS', k_user_event(mentee)) == 0 then
      enqueue(mentee, s[6], skill, s[5], s[7], tonumber(s[8]) or 0, true)
      -- A mentor passed on it: its ETA now counts only mentors who may still take it.
      redis.call('HSET', k_mentee(mentee), 'passed', 1)
      requeued = 1
    end
  end
  if started and event_id == '' and not failed_start then
    record_service(skill, (NOW - tonumber(s[14])) / 1000)
  end

  local mkey = k_mentor(mentor)
  local mentor_state = redis.call('HGET', mkey, 'state')
  if mentor_state == 'busy' and event_id == '' and mentor_here then
    if (failed_start or mentor_bailed) and not mentee_absent then
      -- Not offered again in this burst (a no-show mentee may be, and is counted instead): a
      -- decline is about the question, so that ticket; a failed connection is about the pair,
      -- so that person, whatever it asks next. The set goes when the burst does.
      local passed, member = k_declined(mentor, s[9] or ''), s[6] or ''
      if reason == 'no_connection' then passed, member = k_unreachable(mentor, s[9] or ''), mentee end
      redis.call('SADD', passed, member)
      redis.call('PEXPIREAT', passed, (tonumber(redis.call('HGET', mkey, 'burst_ends_at')) or NOW) + 60000)
    end
    if (actor == mentor and reason == 'disconnected') or mentor_absent then
      mentor_state = 'offline'
    elseif started and not failed_start then
      redis.call('HINCRBY', mkey, 'sessions_done', 1)
      mentor_state = 'cooldown'
    else
      mentor_state = 'idle'
    end
    if mentor_state ~= 'offline' and burst_spent(mentor, NOW) then mentor_state = 'offline' end
    if mentor_state == 'offline' then
      go_offline(mentor)
    else
      redis.call('HSET', mkey, 'state', mentor_state, 'idle_since', NOW)
      if mentor_state == 'cooldown' then at('cooldown', mentor, NOW + S.cooldown_ms)
      else join_idle_pools(mentor) end
    end
  end
  redis.call('HSET', key, 'requeued', requeued, 'mentor_after', mentor_state or '')
  at('settle', sid, NOW + S.settle_ms)
  return {mentor, mentee, skill, mentor_state or '', requeued, started and 1 or 0, rate_until,
    table.concat(no_show, ','), event_id}
end

-- Events ----------------------------------------------------------------------------------------

-- Take a person out of this and later rounds of its event. Returns the event id, or false.
local function event_leave(user, expected)
  local event_id = redis.call('GET', k_user_event(user))
  if not event_id or (expected ~= '' and event_id ~= expected) then return false end
  redis.call('DEL', k_user_event(user))
  if redis.call('HEXISTS', k_event_people(event_id), user) == 1 then
    redis.call('HSETNX', k_event_left(event_id), user, redis.call('HGET', k_event(event_id), 'round') or 0)
  end
  return event_id
end

-- Is this person in the event and not gone?
local function event_active(event_id, user)
  return redis.call('GET', k_user_event(user)) == event_id
    and redis.call('HEXISTS', k_event_left(event_id), user) == 0
end

-- Book one live round call for a free pair, recorded in the round in the same step.
local function book_event_call(event_id, round_no, sid, mentor, mentee, skill, question, ends_at)
  redis.call('HSET', k_session(sid),
    'id', sid, 'mentor', mentor, 'mentee', mentee, 'skill', skill, 'question', question,
    'ticket_id', '', 'state', 'live', 'matched_at', NOW, 'started_at', NOW, 'ends_at', ends_at,
    'duration_ms', ends_at - NOW, 'event_id', event_id, 'round', round_no, 'claim_seq', seq())
  for _, id in ipairs({mentor, mentee}) do
    redis.call('SET', k_live(id), sid)
    add_history(id, sid)
    retain_user(id)
  end
  retain_session(sid)
  redis.call('SADD', k_event_met(event_id), mentor .. '|' .. mentee)
  redis.call('HSET', k_round_pairs(event_id, round_no), sid, mentor .. '|' .. mentee)
  redis.call('SADD', ACTIVE, sid)
  schedule_call(sid, NOW, ends_at)
  log('sessions', sid)
end

-- Presence --------------------------------------------------------------------------------------

-- Sockets of a user on nodes still heartbeating (this node, which is running the script, counts).
local function alive_sockets(user, self_node)
  local cutoff = NOW - S.stale_ms
  local count = 0
  for _, member in ipairs(redis.call('SMEMBERS', k_sockets(user))) do
    local node = string.match(member, '^([^|]+)|')
    if node == self_node then count = count + 1
    else
      local beat = tonumber(redis.call('ZSCORE', P .. 'nodes', node or ''))
      if beat and beat >= cutoff then count = count + 1 end
    end
  end
  return count
end

-- One socket of each person holds their side of a call (a second tab does not join it): the
-- session's field 'holder:<user>' names it ("<node>|<sid>"). A holder whose socket closed holds
-- nothing, so a reloaded page (a new socket) takes its call back with its first signal.
local function holder_of(sid, user)
  local held = redis.call('HGET', k_session(sid), 'holder:' .. user)
  if held and redis.call('SISMEMBER', k_sockets(user), held) == 1 then return held end
  return nil
end

-- The user's last socket is gone: the grace starts now. When it went is kept (the first time,
-- if several sweeps agree) so a return within the grace can credit a live call the time lost.
local function start_grace_if_gone(user, self_node)
  if alive_sockets(user, self_node) == 0 then
    at('presence', user, NOW + S.grace_ms)
    redis.call('SET', k_gone(user), NOW, 'NX', 'PX', 2 * S.grace_ms + 60000)
    return true
  end
  return false
end

-- A user came back (a socket opened). If its grace was running during its live drop-in call,
-- the time it was gone goes back onto the call's end, with the end and warning deadlines moved:
-- whole seconds, only time while the call was live, never time already credited to the other
-- person's overlapping drop, at most S.max_credit_ms per call in all.
-- Returns {sid, started_at, ends_at, credited_ms} or nil.
local function credit_return(user)
  local since = tonumber(redis.call('GET', k_gone(user)))
  if not since then return nil end
  redis.call('DEL', k_gone(user))
  local sid = redis.call('GET', k_live(user))
  if not sid then return nil end
  local key = k_session(sid)
  local s = redis.call('HMGET', key, 'state', 'event_id', 'started_at', 'ends_at', 'credited_ms',
    'credited_until')
  local ends_at = tonumber(s[4])
  if s[1] ~= 'live' or (s[2] and s[2] ~= '') or not ends_at or ends_at <= NOW then return nil end
  local total = tonumber(s[5]) or 0
  local from = math.max(since, tonumber(s[3]) or NOW, tonumber(s[6]) or 0)
  local credit = math.min(NOW - from, S.max_credit_ms - total)
  credit = math.floor(credit / 1000) * 1000
  if credit <= 0 then return nil end
  ends_at = ends_at + credit
  redis.call('HSET', key, 'ends_at', ends_at, 'credited_ms', total + credit, 'credited_until', NOW)
  schedule_call(sid, tonumber(s[3]), ends_at)
  return {sid, s[3], ends_at, credit}
end
