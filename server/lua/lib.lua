-- Shared helpers, prepended to every script at load time. ARGV[1] is always the key prefix.
-- Keys are built here from the prefix (single-instance Redis, not Cluster), mirroring server/keys.py.
local P = ARGV[1]
local function k_mentor(id) return P .. 'mentor:' .. id end
local function k_mentee(id) return P .. 'mentee:' .. id end
local function k_queue(skill) return P .. 'queue:' .. skill end
local function k_idle(skill) return P .. 'idle:' .. skill end
local function k_online(skill) return P .. 'online:' .. skill end
local function k_live(id) return P .. 'live:' .. id end
local function k_session(id) return P .. 'session:' .. id end
local function k_blocked(id) return P .. 'blocked:' .. id end
local function k_declined(mentor, burst) return P .. 'declined:' .. mentor .. ':' .. burst end
local function k_history(id) return P .. 'history:' .. id end
local function k_sockets(id) return P .. 'sockets:' .. id end

local function split(csv)
  local out = {}
  if csv then
    for part in string.gmatch(csv, '[^,]+') do out[#out + 1] = part end
  end
  return out
end

-- May this mentor take this mentee now? Burst rules, blocks, declines, no self-match.
local function mentor_can_take(mentor, mentee, now, session_ms)
  if mentor == mentee then return false end
  local m = redis.call('HMGET', k_mentor(mentor), 'state', 'burst_ends_at', 'max_sessions', 'sessions_done', 'burst')
  if m[1] ~= 'idle' then return false end
  if (tonumber(m[2]) or 0) - now < session_ms then return false end
  local max_sessions = tonumber(m[3]) or 0
  if max_sessions > 0 and (tonumber(m[4]) or 0) >= max_sessions then return false end
  if redis.call('EXISTS', k_live(mentor)) == 1 or redis.call('EXISTS', k_live(mentee)) == 1 then return false end
  if redis.call('SISMEMBER', k_blocked(mentor), mentee) == 1 then return false end
  if redis.call('SISMEMBER', k_declined(mentor, m[5] or ''), mentee) == 1 then return false end
  return true
end

local function leave_idle_pools(mentor)
  for _, skill in ipairs(split(redis.call('HGET', k_mentor(mentor), 'skills'))) do
    redis.call('ZREM', k_idle(skill), mentor)
  end
end

local function go_offline(mentor)
  for _, skill in ipairs(split(redis.call('HGET', k_mentor(mentor), 'skills'))) do
    redis.call('ZREM', k_idle(skill), mentor)
    redis.call('SREM', k_online(skill), mentor)
  end
  redis.call('HSET', k_mentor(mentor), 'state', 'offline', 'leaving', '0')
end

-- Is the burst over for matching purposes (time or max_sessions)?
local function burst_spent(mentor, now)
  local m = redis.call('HMGET', k_mentor(mentor), 'burst_ends_at', 'max_sessions', 'sessions_done', 'leaving')
  if now >= (tonumber(m[1]) or 0) then return true end
  local max_sessions = tonumber(m[2]) or 0
  if max_sessions > 0 and (tonumber(m[3]) or 0) >= max_sessions then return true end
  return m[4] == '1'
end

-- Take a waiting mentee out of its queue and book both into a new session.
-- claim_seq/end_seq order claims and ends exactly (scripts run one at a time), so an audit can
-- prove nobody held two sessions at once without trusting the nodes' clocks.
local function claim(mentor, mentee, sid, now, session_ms)
  local t = redis.call('HMGET', k_mentee(mentee), 'ticket_id', 'skill', 'question', 'joined_at', 'score')
  redis.call('ZREM', k_queue(t[2]), mentee)
  redis.call('DEL', k_mentee(mentee))
  leave_idle_pools(mentor)
  local burst = redis.call('HGET', k_mentor(mentor), 'burst')
  redis.call('HSET', k_mentor(mentor), 'state', 'busy')
  redis.call('HSET', k_session(sid),
    'id', sid, 'mentor', mentor, 'mentee', mentee, 'skill', t[2], 'question', t[3],
    'ticket_id', t[1], 'joined_at', t[4], 'score', t[5], 'burst', burst,
    'state', 'matched', 'matched_at', now, 'duration_ms', session_ms,
    'claim_seq', redis.call('INCR', P .. 'txn-seq'))
  redis.call('SET', k_live(mentor), sid)
  redis.call('SET', k_live(mentee), sid)
  redis.call('ZADD', k_history(mentor), now, sid)
  redis.call('ZADD', k_history(mentee), now, sid)
  return {'matched', sid, mentor, mentee, t[2]}
end

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
