-- End a session exactly once and settle both people (lib.lua end_call).
-- ARGV[4..]: sid, reason, actor ('' for the server), expect_state ('' = matched or live)
-- Returns nil if already ended, else
-- {mentor, mentee, skill, mentor_state, requeued, was_live, rate_until, no_show_csv, event_id}
return end_call(ARGV[4], ARGV[5], ARGV[6], ARGV[7])
