-- A host creates an event under a fresh join code. ARGV[4..]: event_id, code, host, title,
-- round_seconds, rounds, break_seconds, skills_csv. Returns 1, or 0 when the code is taken.
local event_id, code, host = ARGV[4], ARGV[5], ARGV[6]
if redis.call('SET', P .. 'event-code:' .. code, event_id, 'NX') == false then return 0 end
redis.call('HSET', k_event(event_id), 'id', event_id, 'code', code, 'title', ARGV[7], 'host', host,
  'round_seconds', ARGV[8], 'rounds', ARGV[9], 'break_seconds', ARGV[10], 'skills', ARGV[11],
  'state', 'lobby', 'round', 0, 'ends_at', '', 'created_at', NOW)
redis.call('SADD', P .. 'hosted:' .. host, event_id)
retain_user(host)
retain_event(event_id)
return 1
