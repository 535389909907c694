-- A participant reports the other: the report is kept for moderation, and the pair is blocked for
-- good (as long as the accounts exist). ARGV[4..]: reporter, about, report_json
local reporter, about, report = ARGV[4], ARGV[5], ARGV[6]
redis.call('RPUSH', P .. 'reports', report)
redis.call('ZADD', P .. 'reports:' .. about, NOW, reporter)
redis.call('SADD', k_blocked(reporter), about)
redis.call('SADD', k_blocked(about), reporter)
retain_user(reporter)
retain_user(about)
return 1
