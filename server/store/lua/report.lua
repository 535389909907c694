-- A participant reports the other: once per session, from the match until the rating window
-- closes. The report is kept with the session (its own key, for the history retention), appended
-- to the moderation list (the newest S.reports_max kept), and noted against the reported person
-- (who reported them, when: entries older than the history retention fall off); the pair is
-- blocked for good (as long as the accounts exist).
-- ARGV[4..]: sid, reporter, report_json
-- Returns {'ok', about} | {'err', 'not_in_session' | 'report_closed' | 'already_reported'}
local sid, reporter, report = ARGV[4], ARGV[5], ARGV[6]
local s = redis.call('HMGET', k_session(sid), 'state', 'mentor', 'mentee', 'rate_until')
local about
if reporter == s[2] then about = s[3] elseif reporter == s[3] then about = s[2]
else return {'err', 'not_in_session'} end
if s[1] == 'ended' and NOW > (tonumber(s[4]) or 0) then return {'err', 'report_closed'} end
local own = P .. 'report:' .. sid
if redis.call('HSETNX', own, reporter, report) == 0 then return {'err', 'already_reported'} end
redis.call('EXPIRE', own, S.history_ttl_s)
redis.call('RPUSH', P .. 'reports', report)
redis.call('LTRIM', P .. 'reports', -S.reports_max, -1)
local against = P .. 'reports:' .. about
redis.call('ZADD', against, NOW, reporter)
redis.call('ZREMRANGEBYSCORE', against, '-inf', NOW - S.history_ttl_s * 1000)
redis.call('EXPIRE', against, S.history_ttl_s)
redis.call('SADD', k_blocked(reporter), about)
redis.call('SADD', k_blocked(about), reporter)
retain_user(reporter)
retain_user(about)
return {'ok', about}
