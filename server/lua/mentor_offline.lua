-- A mentor ends its burst. During a call it finishes the call first.
-- ARGV: prefix, mentor. Returns 'offline', 'after_call' or nil when it was not online.
local mentor = ARGV[2]
local state = redis.call('HGET', k_mentor(mentor), 'state')
if not state or state == 'offline' then return nil end
if state == 'busy' then
  redis.call('HSET', k_mentor(mentor), 'leaving', '1')
  leave_idle_pools(mentor)
  return 'after_call'
end
go_offline(mentor)
return 'offline'
