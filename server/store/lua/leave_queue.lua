-- A mentee stops waiting. ARGV[4]: mentee. Returns the skill it left, or nil.
return leave_queue(ARGV[4]) or nil
