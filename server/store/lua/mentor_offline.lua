-- A mentor ends its burst. During a call it finishes the call first.
-- ARGV[4]: mentor. Returns 'offline', 'after_call' or nil when it was not online.
return mentor_leaves(ARGV[4]) or nil
